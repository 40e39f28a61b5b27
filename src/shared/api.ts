import type { SeriesInfo } from './series.ts';

/**
 * The one API contract between the interface and the engine. Electron exposes it
 * through the preload bridge; `ssmtl serve` will expose it over a WebSocket.
 */
export interface StudioApi {
  /** The open workspace's folder, or null when none is open. */
  workspace(): Promise<string | null>;
  listSeries(): Promise<SeriesInfo[]>;
}

/** IPC channel names, one per API function. */
export const API_CHANNELS = {
  workspace: 'studio:workspace',
  listSeries: 'studio:list-series',
} as const satisfies Record<keyof StudioApi, string>;
