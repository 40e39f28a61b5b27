import { BrowserWindow } from 'electron';
import type { StudioMethod } from '../shared/api.ts';
import { APP_ORIGIN } from './app-protocol.ts';
import { SECURE_WEB_PREFERENCES } from './web-preferences.ts';

/**
 * The hidden window that lends Chromium's WebGPU to pre-training when no native
 * TensorFlow is installed (DESIGN.md "Compute backends": WebGPU exists in renderers and
 * their workers, not in the main or utility process). It loads compute.html, whose
 * script registers the adapter with the engine and trains in a dedicated worker
 * (shared/gpu-worker.ts). Sandboxed like the main window; it may call only the
 * GPU-worker part of the API (see GPU_WINDOW_METHODS).
 */
export const GPU_WINDOW_METHODS: ReadonlySet<string> = new Set<StudioMethod>([
  'workspace',
  'registerGpuWorker',
  'releaseGpuWorker',
  'gpuWorkerReport',
  'gpuWorkerUpload',
  'gpuWorkerDownload',
]);

export function createGpuWindow(): BrowserWindow {
  const window = new BrowserWindow({
    show: false,
    title: 'SSMTL Studio GPU worker',
    // Training must not slow down because the window is never shown.
    webPreferences: { ...SECURE_WEB_PREFERENCES, backgroundThrottling: false },
  });
  void window.loadURL(`${APP_ORIGIN}/compute.html`);
  return window;
}
