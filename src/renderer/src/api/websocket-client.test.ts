import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StudioApi } from '../../../shared/api.ts';
import { connectWebSocketApi } from './websocket-client.ts';

/** The browser's WebSocket as the client uses it: the test plays the server. */
class FakeSocket {
  static last: FakeSocket | null = null;
  sent: { id: number; method: string }[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((message: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  constructor(readonly url: URL) {
    FakeSocket.last = this;
  }
  send(text: string): void {
    this.sent.push(JSON.parse(text) as { id: number; method: string });
  }
  /** the server: opens, then sends what it sends first */
  accept(...messages: unknown[]): void {
    this.onopen?.();
    for (const message of messages) this.onmessage?.({ data: JSON.stringify(message) });
  }
  answer(message: unknown): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

/** The client on a page served under /s/abc/, with the test playing the server; `pagePreload`: what serve wrote into the page. */
function connect(pagePreload: Record<string, unknown> = {}) {
  vi.stubGlobal('window', { location: { href: 'http://127.0.0.1:9/s/abc/' } });
  vi.stubGlobal('WebSocket', FakeSocket);
  const events: unknown[] = [];
  const api = connectWebSocketApi(() => {}, pagePreload as never);
  api.onEvent((event) => events.push(event));
  return { api, events, socket: FakeSocket.last! };
}

afterEach(() => vi.unstubAllGlobals());

describe("the page's connection to serve", () => {
  let api: StudioApi;
  beforeEach(() => {
    api = connect().api;
  });

  it('lists the series from the answer the server sends first, without asking; a second listing asks', async () => {
    const socket = FakeSocket.last!;
    expect(String(socket.url)).toBe('ws://127.0.0.1:9/s/abc/api/ws');
    const listed = api.listSeries(); // asked before the connection is open, as a reload does
    socket.accept({ preload: { listSeries: [{ id: 'A' }], workspace: { dir: '/ws' } } });
    expect(await listed).toEqual([{ id: 'A' }]);
    expect(await api.workspace()).toEqual({ dir: '/ws' });
    expect(socket.sent).toEqual([]);

    const again = api.listSeries();
    await settle();
    expect(socket.sent.map((r) => r.method)).toEqual(['listSeries']);
    socket.answer({ id: socket.sent[0].id, result: [{ id: 'A' }, { id: 'B' }] });
    expect(await again).toEqual([{ id: 'A' }, { id: 'B' }]);
  });

  it('asks again when an event came after the preloaded answer, or when the server left it out', async () => {
    const socket = FakeSocket.last!;
    socket.accept({ preload: { listSeries: [{ id: 'A' }] } }, { event: { type: 'series-changed' } });
    const listed = api.listSeries();
    const workspace = api.workspace();
    await settle();
    expect(socket.sent.map((r) => r.method).sort()).toEqual(['listSeries', 'workspace']);
    for (const request of socket.sent) socket.answer({ id: request.id, result: request.method });
    expect(await listed).toBe('listSeries');
    expect(await workspace).toBe('workspace');
  });

  it('takes no preload that is not the first message of its connection', async () => {
    const socket = FakeSocket.last!;
    socket.accept({ event: { type: 'models-changed' } }, { preload: { listSeries: ['stale'] } });
    const listed = api.listSeries();
    await settle();
    expect(socket.sent.map((r) => r.method)).toEqual(['listSeries']);
    socket.answer({ id: socket.sent[0].id, result: ['fresh'] });
    expect(await listed).toEqual(['fresh']);
  });
});

describe('a page that came with its first answers (serve writes them into it)', () => {
  const job = (id: string, state: string) => ({ id, kind: 'import', state });

  it("lists the series from the page before the connection opens, and hears nothing more when the connection's answers agree", async () => {
    const { api, events, socket } = connect({ listSeries: [{ id: 'A' }], listJobs: [job('j1', 'done')] });
    expect(await api.listSeries()).toEqual([{ id: 'A' }]);
    expect(await api.listJobs()).toEqual([job('j1', 'done')]);
    socket.accept({ preload: { listSeries: [{ id: 'A' }], listJobs: [job('j1', 'done')] } });
    await settle();
    expect(events).toEqual([]);
    expect(socket.sent).toEqual([]);
  });

  it('tells what changed between the page and the connection as the events that would have said it', async () => {
    const { api, events, socket } = connect({
      listSeries: [{ id: 'A' }],
      listModels: [],
      listJobs: [job('j1', 'running'), job('j2', 'done')],
    });
    await api.listSeries();
    await api.listModels();
    await api.listJobs();
    // An import ended while the page loaded: its job moved on and a series came.
    socket.accept({
      preload: { listSeries: [{ id: 'A' }, { id: 'B' }], listModels: [], listJobs: [job('j1', 'done'), job('j2', 'done')] },
    });
    await settle();
    expect(events).toEqual([{ type: 'series-changed' }, { type: 'job', job: job('j1', 'done') }]);
    // The page's refresh on that event takes the connection's answer, without asking.
    expect(await api.listSeries()).toEqual([{ id: 'A' }, { id: 'B' }]);
    expect(socket.sent).toEqual([]);
  });

  it("drops the page's answers nobody took once the connection has answered: they may be older", async () => {
    const { api, socket } = connect({ listModels: ['old'] });
    socket.accept({ preload: { listModels: ['new'] } });
    expect(await api.listModels()).toEqual(['new']);
  });
});
