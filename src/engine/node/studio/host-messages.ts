import type { StudioEvent } from '../../../shared/api.ts';
import type { PixelRoute } from '../../../shared/pixel-urls.ts';

/**
 * Electron's main process ↔ the engine host process (host-process.ts). Main validates
 * every renderer call before forwarding it; the host validates again (the service
 * always does), so neither side trusts the other's input blindly.
 */
export type HostRequest =
  | { id: number; type: 'call'; method: string; params: unknown[] }
  | { id: number; type: 'pixels'; route: PixelRoute }
  | { type: 'shutdown' };

export type HostReply =
  | { id: number; type: 'result'; result: unknown }
  | { id: number; type: 'error'; message: string; input: boolean }
  | { id: number; type: 'pixels'; bytes: Uint8Array | null; rows: number; cols: number }
  | { type: 'event'; event: StudioEvent }
  | { type: 'ready' }
  | { type: 'stopped' };
