/**
 * One fuzzing thread: runs fast-check properties over the targets it is given and
 * reports to campaign.ts. Before each input it copies the bytes into shared memory and
 * bumps a counter, so that the parent can tell a hang (the counter stops) and save the
 * input that caused it, even though this thread is then stuck or killed.
 */
import { installAllocationMeter, allocatedBytes, resetAllocated } from './alloc-meter.ts';

installAllocationMeter();

const { parentPort, workerData } = await import('node:worker_threads');
const { getHeapStatistics } = await import('node:v8');
const { default: fc } = await import('fast-check');
const { createTargets } = await import('./targets.ts');
const { INPUT_OFFSET, SLOT } = await import('./shared-slot.ts');

export interface WorkerData {
  targets: string[];
  seed: number;
  /** per target: stop after this many inputs or this many milliseconds, whichever comes first */
  runs: number;
  millis: number;
  slowMs: number;
  shared: SharedArrayBuffer;
  /** a folder for the files the targets write (removed by the parent) */
  scratch: string;
}

const FIXED_ALLOWANCE = 32 * 1024 * 1024;
const data = workerData as WorkerData;
const slot = new Int32Array(data.shared, 0, SLOT.length);
const inputBytes = new Uint8Array(data.shared, INPUT_OFFSET);
const all = await createTargets(data.scratch);

class Finding extends Error {
  constructor(
    readonly kind: 'crash' | 'slow' | 'allocation',
    message: string,
  ) {
    super(message);
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}\n${(error.stack ?? '').split('\n').slice(1, 6).join('\n')}`;
  return `thrown ${typeof error}: ${String(error).slice(0, 500)}`;
}

for (const name of data.targets) {
  const target = all.find((t) => t.name === name);
  if (!target) throw new Error(`no fuzz target '${name}'`);
  // Warm up: the first use of each codec instantiates its wasm module, which is no input's doing.
  for (const sample of fc.sample(target.input, { seed: 1, numRuns: 3 })) await target.run(sample).catch(() => {});
  let inputs = 0;
  const outcomes = new Map<string, number>();
  const started = Date.now();
  let seed = data.seed;
  const findings: unknown[] = [];
  while (inputs < data.runs && Date.now() - started < data.millis) {
    const property = fc.asyncProperty(target.input, async (input) => {
      inputs++;
      const length = Math.min(input.bytes.length, inputBytes.length);
      inputBytes.set(input.bytes.subarray(0, length));
      Atomics.store(slot, SLOT.length_, length);
      Atomics.add(slot, SLOT.counter, 1);
      const heapBefore = getHeapStatistics().used_heap_size;
      resetAllocated();
      const t0 = performance.now();
      let outcome: string;
      try {
        outcome = await target.run(input);
      } catch (error) {
        const reason = target.documented(error);
        if (reason === null) throw new Finding('crash', describe(error));
        outcome = `refused: ${reason.replace(/[0-9]+/g, 'N').slice(0, 80)}`;
      }
      const elapsed = performance.now() - t0;
      const allowance = FIXED_ALLOWANCE + target.expansion * input.bytes.length;
      const heapGrowth = getHeapStatistics().used_heap_size - heapBefore;
      if (allocatedBytes() > allowance || heapGrowth > allowance)
        throw new Finding(
          'allocation',
          `allocated ${allocatedBytes()} bytes (heap grew ${heapGrowth}) for ${input.bytes.length} input bytes; allowed ${allowance}`,
        );
      if (elapsed > data.slowMs) throw new Finding('slow', `took ${Math.round(elapsed)} ms (limit ${data.slowMs})`);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    });
    const result = await fc.check(property, {
      seed,
      numRuns: data.runs - inputs,
      interruptAfterTimeLimit: Math.max(1, data.millis - (Date.now() - started)),
      markInterruptAsFailure: false,
    });
    if (result.failed && result.counterexample) {
      const [input] = result.counterexample;
      const error = result.errorInstance;
      findings.push({
        target: target.name,
        kind: error instanceof Finding ? error.kind : 'crash',
        message: error instanceof Finding ? error.message : describe(error),
        input: input.name,
        bytes: input.bytes,
        seed,
        path: result.counterexamplePath,
      });
    }
    // After a finding (shrunk and reported), go on with the next seed.
    seed = (seed + 0x9e3779b9) >>> 0;
    if (!result.failed) break;
  }
  Atomics.store(slot, SLOT.length_, -1);
  parentPort!.postMessage({ type: 'target-done', target: target.name, inputs, outcomes: Object.fromEntries(outcomes), findings });
}
parentPort!.postMessage({ type: 'done' });
