import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNifti } from '../src/formats/nifti/write-nifti.ts';
import { importScanned } from '../src/engine/node/import/import-series.ts';
import { scanPaths } from '../src/engine/node/import/scan-paths.ts';
import { Workspace } from '../src/engine/node/workspace/workspace.ts';
import { TEXT, clientFrame, openRawWebSocket } from './helpers/raw-websocket.ts';
import { percentile, residentBytes, runTab, type TabLoad } from './helpers/load-clients.ts';
import { startServeProcess, type ServeProcess } from './helpers/start-serve-process.ts';

/**
 * `ssmtl serve` under load and attack, in its own process on a real imported series:
 * 20 tabs working at once, then the same 20 while other clients misbehave (one floods
 * requests and never reads the answers, one never reads the events pushed to it, one
 * pipelines HTTP requests without reading, 30 dribble their headers a byte at a time).
 * The tabs must all be served, none for long, and the server's memory must stay bounded.
 */
const TABS = 20;
const ROUNDS = 12;
const SERIES = { rows: 128, cols: 128, slices: 12 };

describe('ssmtl serve under load and attack', () => {
  let dir: string;
  let server: ServeProcess;
  let series: { id: string; rows: number; cols: number; slices: number };
  const figures: Record<string, unknown> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ssmtl-load-'));
    const voxels = SERIES.rows * SERIES.cols * SERIES.slices;
    const affine = [
      [0.8, 0, 0, 0],
      [0, 0.8, 0, 0],
      [0, 0, 2, 0],
      [0, 0, 0, 1],
    ];
    const data = Int16Array.from({ length: voxels }, (_, k) => (k * 31) % 2000);
    writeFileSync(
      join(dir, 'ct.nii'),
      writeNifti({ data, dims: [SERIES.cols, SERIES.rows, SERIES.slices], pixdim: [0.8, 0.8, 2], affine }),
    );
    const workspace = Workspace.open(join(dir, 'workspace'), { create: true });
    await importScanned(workspace, scanPaths([join(dir, 'ct.nii')]));
    series = { id: workspace.listSeries()[0].id, ...SERIES };
    workspace.close();
    server = await startServeProcess(join(dir, 'workspace'));
  });

  afterAll(async () => {
    console.log(`serve load figures: ${JSON.stringify(figures)}`);
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function tabs(rounds = ROUNDS): Promise<{ loads: TabLoad[]; seconds: number }> {
    const started = performance.now();
    const loads = await Promise.all(Array.from({ length: TABS }, () => runTab(server, series, rounds, 4)));
    return { loads, seconds: (performance.now() - started) / 1000 };
  }

  function summarise(name: string, loads: TabLoad[], seconds: number) {
    const latencies = loads.flatMap((l) => l.latencies);
    const summary = {
      operations: latencies.length,
      seconds: Number(seconds.toFixed(1)),
      p50ms: Math.round(percentile(latencies, 50)),
      p95ms: Math.round(percentile(latencies, 95)),
      maxms: Math.round(Math.max(...latencies)),
    };
    figures[name] = summary;
    return { ...summary, errors: loads.flatMap((l) => l.errors) };
  }

  it(`serves ${TABS} tabs at once`, async () => {
    await tabs(2); // warm up: code paths, caches, the first annotation files
    const { loads, seconds } = await tabs();
    const result = summarise('20 tabs', loads, seconds);
    expect(result.errors).toEqual([]);
    expect(result.operations).toBe(TABS * ROUNDS * (1 + 1 + 1 / 4));
    figures.rssAfterTabsMB = Math.round(residentBytes(server.process.pid!) / 2 ** 20);
  }, 120_000);

  it('keeps serving them, with bounded memory, while other clients flood, never read, pipeline and dribble', async () => {
    const pid = server.process.pid!;
    const baseline = residentBytes(pid);
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, residentBytes(pid))), 100);
    const attackers: Socket[] = [];
    try {
      // 1. Floods API requests (large answers) and never reads one.
      const flooder = await openRawWebSocket(server.port, `${server.scope}api/ws`, server.headers(), { read: false });
      attackers.push(flooder.socket);
      const request = clientFrame(TEXT, Buffer.from(JSON.stringify({ id: 1, method: 'listSeries', params: [] })));
      let floodBytes = 0;
      let tabsDone = false;
      const flood = (async () => {
        while (!tabsDone && !flooder.socket.destroyed) {
          floodBytes += request.length * 200;
          if (!flooder.socket.write(Buffer.concat(Array(200).fill(request))))
            await new Promise((resolve) => {
              flooder.socket.once('drain', resolve);
              setTimeout(resolve, 500);
            });
        }
      })();
      // 2. Connected for the events pushed to every tab, and never reads them.
      const deaf = await openRawWebSocket(server.port, `${server.scope}api/ws`, server.headers(), { read: false });
      attackers.push(deaf.socket);
      // 3. Pipelines slice requests over HTTP and never reads the answers.
      const pipeliner = connect(server.port, '127.0.0.1');
      attackers.push(pipeliner);
      pipeliner.pause();
      const cookie = server.headers().Cookie;
      const get = `GET ${server.scope}api/series/${encodeURIComponent(series.id)}/slices/0 HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nCookie: ${cookie}\r\n\r\n`;
      pipeliner.on('error', () => {});
      pipeliner.write(get.repeat(3000));
      // 4. Slowloris: headers a byte at a time.
      const dribblers = Array.from({ length: 30 }, () => {
        const socket = connect(server.port, '127.0.0.1', () => socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n`));
        socket.on('error', () => {});
        attackers.push(socket);
        return socket;
      });
      const drip = setInterval(() => dribblers.forEach((socket) => !socket.destroyed && socket.write('X')), 1000);

      const { loads, seconds } = await tabs();
      tabsDone = true;
      clearInterval(drip);
      await flood;
      const result = summarise('20 tabs under attack', loads, seconds);
      figures.floodMB = Math.round(floodBytes / 2 ** 20);
      figures.rssBaselineMB = Math.round(baseline / 2 ** 20);
      figures.rssPeakMB = Math.round(peak / 2 ** 20);

      expect(result.errors).toEqual([]);
      // No tab waits on the misbehaving clients: generous bounds, the machine may be busy.
      expect(result.maxms).toBeLessThan(10_000);
      const alone = (figures['20 tabs'] as { seconds: number }).seconds;
      expect(seconds).toBeLessThan(Math.max(30, 4 * alone));
      expect(server.process.exitCode).toBeNull();
      // Memory stays bounded: the answers nobody reads are not kept without limit.
      expect(peak - baseline).toBeLessThan(300 * 2 ** 20);
    } finally {
      clearInterval(sampler);
      for (const socket of attackers) socket.destroy();
    }
  }, 120_000);

  it('closes a client that does not read once it falls too far behind (limits lowered to see it happen)', async () => {
    const small = await startServeProcess(join(dir, 'workspace'), {
      inFlight: 8,
      pauseBytes: 64 * 1024,
      maxBytes: 2 ** 20,
      stallMs: 2000,
    });
    try {
      const flooder = await openRawWebSocket(small.port, `${small.scope}api/ws`, small.headers(), { read: false });
      flooder.socket.on('error', () => {});
      const request = clientFrame(TEXT, Buffer.from(JSON.stringify({ id: 1, method: 'listSeries', params: [] })));
      const started = performance.now();
      let sent = 0;
      while (!flooder.socket.destroyed && performance.now() - started < 20_000) {
        sent += 200;
        if (!flooder.socket.write(Buffer.concat(Array(200).fill(request)))) await new Promise((resolve) => setTimeout(resolve, 50));
        if (flooder.socket.writableLength > 2 ** 20) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await Promise.race([flooder.closed, new Promise((resolve) => setTimeout(resolve, 5000))]);
      figures.flooderDroppedAfterSeconds = Number(((performance.now() - started) / 1000).toFixed(1));
      figures.flooderRequestsSent = sent;
      expect(small.stderr()).toMatch(/WebSocket client dropped: (it has not read \d+ bytes for 2 s|\d+ bytes wait for it to read them)/);
      expect(flooder.socket.destroyed || flooder.socket.readableEnded).toBe(true);
      // The server is fine and serves a tab as before.
      const load = await runTab(small, series, 2, 1);
      expect(load.errors).toEqual([]);
    } finally {
      await small.stop();
    }
  }, 60_000);
});
