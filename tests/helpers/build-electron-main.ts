import { join } from 'node:path';

/**
 * Builds the main process and the preload exactly as `npm run build` does (the project's
 * electron.vite.config.ts, production mode), into `outDir`/main and `outDir`/preload.
 * The renderer is left out: it is not what decides the window's security.
 */
export async function buildElectronMain(root: string, outDir: string): Promise<{ main: string; preload: string }> {
  const { resolveConfig } = await import('electron-vite');
  const { build } = await import('vite');
  const { config } = await resolveConfig({ configFile: join(root, 'electron.vite.config.ts'), logLevel: 'warn' }, 'build', 'production');
  if (!config?.main || !config.preload) throw new Error('electron.vite.config.ts has no main or preload build');
  for (const part of ['main', 'preload'] as const) {
    const viteConfig = config[part]!;
    await build({ ...viteConfig, logLevel: 'warn', build: { ...viteConfig.build, outDir: join(outDir, part), emptyOutDir: true } });
  }
  return { main: join(outDir, 'main', 'index.js'), preload: join(outDir, 'preload', 'index.cjs') };
}
