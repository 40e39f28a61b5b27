import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';
// Formatting is Prettier's (npm run format); this turns off the lint rules that would fight it.
import prettierConfig from 'eslint-config-prettier/flat';

export default tseslint.config(
  { ignores: ['node_modules/', 'tmp/', 'out/', 'dist/', 'coverage/', 'tests/fixtures/', 'bench/results/'] },
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  prettierConfig,
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // The pure layers must not reach for Node's standard library, even by accident.
    files: ['src/shared/**/*.ts', 'src/formats/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:*', 'fs', 'path', 'os', 'electron'] }],
    },
  },
);
