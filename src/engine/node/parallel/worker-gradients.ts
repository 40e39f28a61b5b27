import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BackendName } from '../../../shared/job.ts';
import type { ParallelGradients } from '../../train/batch-gradients.ts';
import { processEntry } from '../process/process-entry.ts';
import type { GradientWorkerData } from './gradient-worker.ts';

/**
 * Data parallelism over worker threads for the CPU backends: the wasm backend runs one
 * thread under Node, so on an n-core machine n workers each take 1/n of every batch.
 * Gradients come back as transferred buffers and are summed in worker order.
 */
export class WorkerGradients implements ParallelGradients {
  private readonly threads: Worker[] = [];
  private readonly ready: Promise<void>;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (v: { flat: Float32Array; perHead: Float64Array }) => void; reject: (e: Error) => void }
  >();
  private failure: Error | null = null;

  /**
   * `entry` is the worker script; by default the bundle's or the sources' (process-entry.ts).
   */
  constructor(
    readonly workers: number,
    options: GradientWorkerData,
    entry: URL = pathToFileURL(processEntry('gradient-worker').path),
  ) {
    const readies: Promise<void>[] = [];
    for (let i = 0; i < workers; i++) {
      const worker = new Worker(entry, { workerData: options, stdout: true });
      // Library banners on a worker's stdout must not reach the CLI's JSON stdout.
      worker.stdout.on('data', (chunk: Buffer) => process.stderr.write(chunk));
      this.threads.push(worker);
      readies.push(
        new Promise<void>((resolve, reject) => {
          worker.on('message', (m: { type: string; id?: number; flat?: Float32Array; perHead?: Float64Array; message?: string }) => {
            if (m.type === 'ready') resolve();
            else if (m.type === 'grads') {
              const p = this.pending.get(m.id!);
              this.pending.delete(m.id!);
              p?.resolve({ flat: m.flat!, perHead: m.perHead! });
            } else if (m.type === 'error') this.fail(new Error(`gradient worker ${i}: ${m.message}`), reject);
          });
          worker.on('error', (e) => this.fail(e, reject));
          worker.on('exit', (code) => {
            if (code !== 0) this.fail(new Error(`gradient worker ${i} exited with code ${code}`), reject);
          });
        }),
      );
    }
    this.ready = Promise.all(readies).then(() => undefined);
  }

  /**
   * One worker per idle core on wasm, for models big enough to repay a thread's start-up
   * (about a second each) and the weight traffic; one process otherwise. Every step waits
   * for the slowest worker, so on cores already busy with other work (load average) data
   * parallelism loses to one thread: measured 2.0 vs 4.8 images/s at load 4.5 on 2 cores.
   */
  static defaultWorkers(backend: BackendName, cpus: number, size: number, width: number, load = loadavg()[0]): number {
    if (backend !== 'wasm' || size * size * width < 128 * 128 * 8) return 1;
    const idle = Math.floor(cpus - load + 0.5);
    return Math.max(1, Math.min(idle, cpus, 8));
  }

  private fail(error: Error, reject?: (e: Error) => void): void {
    this.failure ??= error;
    reject?.(error);
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  async setWeights(flat: Float32Array): Promise<void> {
    await this.ready;
    for (const worker of this.threads) worker.postMessage({ type: 'weights', flat });
  }

  /**
   * Parts go to whichever worker is free (a worker slowed by other work on its core takes
   * fewer of them); the results are summed in part order, so the sum does not depend on
   * which worker computed what.
   */
  async compute(parts: { x: Float32Array; y: Float32Array; n: number; weight: number }[]) {
    await this.ready;
    if (this.failure) throw this.failure;
    // Summed in part order as soon as the next part is in: at most a few parts' gradients
    // wait in memory (at the paper's size each is 124 MB).
    const results: ({ flat: Float32Array; perHead: Float64Array } | null)[] = new Array(parts.length).fill(null);
    let summed = 0;
    let grads: Float32Array | null = null;
    let perHead: Float64Array | null = null;
    const absorb = () => {
      while (summed < parts.length && results[summed]) {
        const r = results[summed]!;
        if (grads === null || perHead === null) {
          grads = r.flat;
          perHead = r.perHead;
        } else {
          const g = r.flat;
          for (let i = 0; i < grads.length; i++) grads[i] += g[i];
          for (let h = 0; h < perHead.length; h++) perHead[h] += r.perHead[h];
        }
        results[summed] = null;
        summed++;
      }
    };
    let next = 0;
    const run = async (worker: Worker): Promise<void> => {
      while (next < parts.length) {
        const index = next++;
        const part = parts[index];
        results[index] = await new Promise<{ flat: Float32Array; perHead: Float64Array }>((resolve, reject) => {
          const id = this.nextId++;
          this.pending.set(id, { resolve, reject });
          worker.postMessage({ type: 'compute', id, ...part }, [part.x.buffer as ArrayBuffer, part.y.buffer as ArrayBuffer]);
        });
        absorb();
      }
    };
    await Promise.all(this.threads.slice(0, Math.min(this.threads.length, parts.length)).map(run));
    absorb();
    return { grads: grads as unknown as Float32Array, perHead: perHead as unknown as Float64Array };
  }

  async dispose(): Promise<void> {
    await Promise.all(this.threads.map((w) => w.terminate()));
  }
}
