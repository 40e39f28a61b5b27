import { resolve } from 'node:path';
import { defineConfig, externalizeDepsPlugin } from 'electron-vite';
import vue from '@vitejs/plugin-vue';

// Electron 38 is the newest line whose install tooling runs on Node 20 (see README).
const ELECTRON_NODE_TARGET = 'node22';

export default defineConfig({
  main: {
    plugins: [externalizeDepsPlugin()],
    // The engine host and its job processes start from out/node (scripts/build-node.mjs),
    // plain JavaScript, not the TypeScript sources (src/engine/node/process/process-entry.ts).
    define: { __SSMTL_BUNDLED__: 'true' },
    build: { target: ELECTRON_NODE_TARGET, rollupOptions: { input: { index: resolve('src/main/index.ts') } } },
  },
  preload: {
    plugins: [externalizeDepsPlugin()],
    // A sandboxed preload must be a single CommonJS file.
    build: {
      target: ELECTRON_NODE_TARGET,
      rollupOptions: { input: { index: resolve('src/preload/index.ts') }, output: { format: 'cjs', entryFileNames: '[name].cjs' } },
    },
  },
  // The same renderer `ssmtl serve` builds (src/cli/serve/web-build-config.ts): Node
  // built-in stand-ins for Cornerstone's dependencies, and ES-module workers (Cornerstone's Vite recipe).
  renderer: {
    root: resolve('src/renderer'),
    base: './',
    plugins: [vue()],
    resolve: { alias: { events: resolve('src/renderer/src/shims/node-events.ts'), url: resolve('src/renderer/src/shims/node-url.ts') } },
    worker: { format: 'es' },
    build: {
      chunkSizeWarningLimit: 8000,
      rollupOptions: { input: { index: resolve('src/renderer/index.html'), compute: resolve('src/renderer/compute.html') } },
    },
  },
});
