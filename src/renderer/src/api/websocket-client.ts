import { STUDIO_METHODS, type StudioApi, type StudioEvent, type StudioMethod } from '../../../shared/api.ts';
import { decodeMessage, encodeMessage, PRELOADED_METHODS, type RpcServerMessage } from '../../../shared/rpc.ts';

/**
 * The API contract over `ssmtl serve`'s WebSocket (shared/rpc.ts). The session token
 * travels in the HttpOnly cookie the first page load set, so this code never sees it.
 * A dropped connection (the server restarted, the laptop slept) is retried with
 * back-off; calls made meanwhile wait for it, calls in flight fail with a clear message.
 * The server's first message on a connection answers the calls a page makes first
 * (PRELOADED_METHODS): the first such call takes that answer instead of asking, unless
 * an event came in between (the answer may be out of date then).
 */
const WEBSOCKET_PATH = 'api/ws';

export function connectWebSocketApi(onConnectionChange: (connected: boolean) => void): StudioApi {
  const listeners = new Set<(event: StudioEvent) => void>();
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let socket: WebSocket | null = null;
  let ready: Promise<WebSocket> | null = null;
  let retryMs = 250;
  /** the open connection's unasked answers not yet taken */
  const preloaded = new Map<string, unknown>();
  /** settles once the connection being opened has had its first message (or has closed) */
  let firstMessage: Promise<void> = Promise.resolve();

  function open(): Promise<WebSocket> {
    if (ready) return ready;
    let markFirst = () => {};
    firstMessage = new Promise((resolve) => (markFirst = resolve));
    preloaded.clear();
    ready = new Promise((resolve) => {
      const url = new URL(WEBSOCKET_PATH, window.location.href);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      url.search = '';
      const ws = new WebSocket(url);
      let first = true;
      ws.onopen = () => {
        socket = ws;
        retryMs = 250;
        onConnectionChange(true);
        resolve(ws);
      };
      ws.onmessage = (message) => {
        const data = decodeMessage(String(message.data)) as RpcServerMessage;
        const wasFirst = first;
        first = false;
        markFirst();
        if ('preload' in data) {
          if (wasFirst) for (const [method, result] of Object.entries(data.preload)) preloaded.set(method, result);
          return;
        }
        if ('event' in data) {
          preloaded.clear();
          for (const listener of listeners) listener(data.event);
          return;
        }
        const call = pending.get(data.id);
        if (!call) return;
        pending.delete(data.id);
        if ('error' in data) call.reject(new Error(data.error));
        else call.resolve(data.result);
      };
      ws.onclose = () => {
        socket = null;
        ready = null;
        preloaded.clear();
        markFirst();
        onConnectionChange(false);
        for (const call of pending.values()) call.reject(new Error('the connection to ssmtl serve was lost; is it still running?'));
        pending.clear();
        setTimeout(() => void open().then(resolve), retryMs);
        retryMs = Math.min(retryMs * 2, 5000);
      };
    });
    return ready;
  }

  async function call(method: StudioMethod, params: unknown[]): Promise<unknown> {
    let ws = socket ?? (await open());
    if ((PRELOADED_METHODS as readonly string[]).includes(method)) {
      await firstMessage;
      if (preloaded.has(method)) {
        const answer = preloaded.get(method);
        preloaded.delete(method);
        return answer;
      }
      ws = socket ?? (await open());
    }
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      ws.send(encodeMessage({ id, method, params }));
    });
  }

  void open();
  const api: Record<string, unknown> = {
    onEvent: (listener: (event: StudioEvent) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  for (const method of STUDIO_METHODS) api[method] = (...params: unknown[]) => call(method, params);
  return api as unknown as StudioApi;
}
