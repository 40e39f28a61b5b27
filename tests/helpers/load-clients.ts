import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { encodeBytes } from '../../src/shared/rpc.ts';
import { openApiClient, type ServeProcess } from './start-serve-process.ts';

/**
 * Clients for load tests of `ssmtl serve`: a well-behaved tab doing what the interface
 * does (list, fetch slices, save strokes, each timed), and the measure of the server's
 * memory from outside (its resident set, as the operating system counts it).
 */
export interface TabLoad {
  latencies: number[];
  errors: string[];
}

/** One tab: `rounds` times list the series, fetch a slice and (every `saveEvery` rounds) save a stroke. */
export async function runTab(
  server: ServeProcess,
  series: { id: string; rows: number; cols: number; slices: number },
  rounds: number,
  saveEvery: number,
): Promise<TabLoad> {
  const load: TabLoad = { latencies: [], errors: [] };
  const client = await openApiClient(server);
  const timed = async (what: () => Promise<unknown>) => {
    const started = performance.now();
    try {
      await what();
    } catch (error) {
      load.errors.push((error as Error).message);
    }
    load.latencies.push(performance.now() - started);
  };
  const mask = new Uint16Array(series.rows * series.cols).fill(500, 0, series.cols * 4);
  for (let round = 0; round < rounds; round++) {
    const k = round % series.slices;
    await timed(() => client.call('listSeries'));
    await timed(() =>
      getPixels(server, `${server.scope}api/series/${encodeURIComponent(series.id)}/slices/${k}`, series.rows * series.cols * 4),
    );
    if (round % saveEvery === 0)
      await timed(() =>
        client.call('saveAnnotation', JSON.parse(JSON.stringify([series.id, k, new Uint8Array(mask.buffer)], encodeBytes)) as unknown[]),
      );
  }
  client.socket.close();
  return load;
}

function getPixels(server: ServeProcess, path: string, expectedBytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers: server.headers(), agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () =>
        res.statusCode === 200 && bytes === expectedBytes ? resolve() : reject(new Error(`GET ${path}: ${res.statusCode}, ${bytes} bytes`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** The server process's resident memory in bytes (Linux /proc). */
export function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status);
  return kb ? Number(kb[1]) * 1024 : 0;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}
