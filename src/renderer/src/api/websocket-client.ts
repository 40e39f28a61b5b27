import { STUDIO_METHODS, type JobSummary, type StudioApi, type StudioEvent, type StudioMethod } from '../../../shared/api.ts';
import {
  decodeMessage,
  encodeMessage,
  PRELOADED_METHODS,
  type PreloadedMethod,
  type RpcPreload,
  type RpcServerMessage,
} from '../../../shared/rpc.ts';

/**
 * The API contract over `ssmtl serve`'s WebSocket (shared/rpc.ts). The session token
 * travels in the HttpOnly cookie the first page load set, so this code never sees it.
 * A dropped connection (the server restarted, the laptop slept) is retried with
 * back-off; calls made meanwhile wait for it, calls in flight fail with a clear message.
 * The server's first message on a connection answers the calls a page makes first
 * (PRELOADED_METHODS): the first such call takes that answer instead of asking, unless
 * an event came in between (the answer may be out of date then). The page itself may
 * carry the same answers (`pagePreload`, written by serve): those are taken before the
 * connection is even open, and the connection's first message then tells what changed.
 */
const WEBSOCKET_PATH = 'api/ws';

export function connectWebSocketApi(onConnectionChange: (connected: boolean) => void, pagePreload: RpcPreload['preload'] = {}): StudioApi {
  /** the answers serve wrote into the page (rpc.ts PAGE_PRELOAD_ELEMENT_ID), each taken by its method's first call */
  const fromPage = new Map<string, unknown>(Object.entries(pagePreload));
  /** those taken, as JSON, until the connection's first message says whether they changed since */
  const takenFromPage = new Map<string, string>();
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
          if (!wasFirst) return;
          for (const [method, result] of Object.entries(data.preload)) preloaded.set(method, result);
          announceChangesSincePage(data.preload);
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

  /**
   * The page's answers were taken before the connection opened: whatever changed in
   * between (an import that finished, a job that moved on) is told as the events that
   * would have told it, so the page catches up on the connection's own answers.
   */
  function announceChangesSincePage(current: RpcPreload['preload']): void {
    fromPage.clear();
    const changes: StudioEvent[] = [];
    for (const [method, before] of takenFromPage) {
      const now = current[method as PreloadedMethod];
      if (now !== undefined && JSON.stringify(now) !== before)
        changes.push(...changeEvents(method as PreloadedMethod, JSON.parse(before), now));
    }
    takenFromPage.clear();
    for (const event of changes) for (const listener of listeners) listener(event);
  }

  async function call(method: StudioMethod, params: unknown[]): Promise<unknown> {
    if (fromPage.has(method)) {
      const answer = fromPage.get(method);
      fromPage.delete(method);
      takenFromPage.set(method, JSON.stringify(answer));
      return answer;
    }
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

/** The events that say a preloaded answer changed from `before` to `after`. */
function changeEvents(method: PreloadedMethod, before: unknown, after: unknown): StudioEvent[] {
  switch (method) {
    case 'workspace':
      return [{ type: 'compute-changed' }];
    case 'listSeries':
      return [{ type: 'series-changed' }];
    case 'listModels':
      return [{ type: 'models-changed' }];
    case 'listLabels':
      return [{ type: 'labels-changed' }];
    case 'listJobs': {
      const known = new Map((before as JobSummary[]).map((job) => [job.id, JSON.stringify(job)]));
      return (after as JobSummary[]).filter((job) => known.get(job.id) !== JSON.stringify(job)).map((job) => ({ type: 'job', job }));
    }
  }
}
