import type { StudioApi } from '../shared/api.ts';

declare global {
  interface Window {
    /** Electron only; under `ssmtl serve` the renderer uses the WebSocket client. */
    studio?: StudioApi;
    studioFiles?: { pathForFile(file: File): string };
  }
}
export {};
