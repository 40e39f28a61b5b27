import { join } from 'node:path';
import type { InlineConfig } from 'vite';

/**
 * Vite settings for the renderer as `serve` hosts it; electron.vite.config.ts builds the
 * same renderer for Electron. Following Cornerstone3D's Vite recipe: ES-module workers
 * (its tools start web workers), and no dependency pre-bundling surprises in a build.
 */
/** Browser stand-ins for the Node built-ins Cornerstone's dependencies import (see the shims). */
export function rendererNodeShims(root: string): Record<string, string> {
  return {
    events: join(root, 'src/renderer/src/shims/node-events.ts'),
    url: join(root, 'src/renderer/src/shims/node-url.ts'),
  };
}

export async function webBuildConfig(root: string, outDir: string): Promise<InlineConfig> {
  const { default: vue } = await import('@vitejs/plugin-vue');
  return {
    root: join(root, 'src/renderer'),
    base: './',
    configFile: false,
    logLevel: 'warn',
    plugins: [vue()],
    resolve: { alias: rendererNodeShims(root) },
    worker: { format: 'es' },
    build: {
      outDir,
      emptyOutDir: true,
      chunkSizeWarningLimit: 8000,
      reportCompressedSize: false,
      target: 'es2022',
      // compute.html is Electron's hidden GPU window; built here too so both builds match.
      rollupOptions: { input: { index: join(root, 'src/renderer/index.html'), compute: join(root, 'src/renderer/compute.html') } },
    },
  };
}
