import { ref } from 'vue';
import type { StudioApi } from '../../../shared/api.ts';
import { PAGE_PRELOAD_ELEMENT_ID, type RpcPreload } from '../../../shared/rpc.ts';
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
    api = bridge ?? connectWebSocketApi((up) => (connected.value = up), pagePreload());
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

/** The answers serve wrote into this page (rpc.ts PAGE_PRELOAD_ELEMENT_ID), or none. */
function pagePreload(): RpcPreload['preload'] {
  const text = document.getElementById(PAGE_PRELOAD_ELEMENT_ID)?.textContent;
  if (!text) return {};
  try {
    return JSON.parse(text) as RpcPreload['preload'];
  } catch {
    return {};
  }
}
