import { ref } from 'vue';
import type { StudioApi } from '../../../shared/api.ts';
import { connectWebSocketApi } from './websocket-client.ts';

/**
 * The engine, whichever way this page reaches it: Electron's preload bridge
 * (window.studio) or `ssmtl serve`'s WebSocket. Everything else in the renderer uses
 * this and never knows which.
 */
export const connected = ref(true);

let api: StudioApi | null = null;

export function studioApi(): StudioApi {
  if (!api) {
    const bridge = (window as { studio?: StudioApi }).studio;
    api = bridge ?? connectWebSocketApi((up) => (connected.value = up));
    if (!bridge) {
      // The token came in the URL for the first load only; it now lives in an HttpOnly
      // cookie, so drop it from the address bar (and from screenshots and history).
      const url = new URL(window.location.href);
      if (url.searchParams.has('token')) {
        url.searchParams.delete('token');
        window.history.replaceState(null, '', url);
      }
    }
  }
  return api;
}
