import { describe, expect, it } from 'vitest';
import type { JobKind } from '../../../shared/api.ts';
import type { JobQueuePlace } from '../../../shared/job.ts';
import { jobLimits, MEASURED_PEAK_MB, measuredMemoryNeed, REFERENCE_SHAPE, type JobShape } from './job-limits.ts';
import { JobQueue } from './job-queue.ts';

const GiB = 2 ** 30;
const MB = 2 ** 20;

/** Jobs that run until the test ends them, as a studio session's children would. */
function harness(options: { free?: () => number; now?: () => number; running?: Parameters<typeof jobLimits>[0] } = {}) {
  const started: string[] = [];
  const enders = new Map<string, () => void>();
  const places = new Map<string, JobQueuePlace>();
  const limits = jobLimits(options.running);
  const queue = new JobQueue(limits, {
    freeMemory: options.free ?? (() => 64 * GiB),
    now: options.now,
    onWaiting: (id, place) => places.set(id, place),
  });
  /** a job of the paper's sizes (job-limits.ts), or of `shape` */
  const submit = (id: string, kind: JobKind, shape?: JobShape) =>
    queue.submit({
      id,
      kind,
      memory: limits.memoryNeed(kind, shape),
      start: () => {
        started.push(id);
        return new Promise<void>((resolve) => enders.set(id, resolve));
      },
    });
  /** ends a running job and lets the queue see it (its release is a promise callback) */
  const end = async (id: string) => {
    enders.get(id)!();
    await new Promise((r) => setTimeout(r, 0));
  };
  const placeFor = (kind: JobKind) => queue.placeFor(kind, limits.memoryNeed(kind));
  return { queue, started, places, submit, end, placeFor };
}

describe('the job queue', () => {
  it('runs eight predictions and a pre-training two and one at a time, the rest waiting in order', async () => {
    const { queue, started, places, submit, end } = harness();
    for (let k = 1; k <= 8; k++) submit(`predict-${k}`, 'predict');
    submit('pretrain-9', 'pretrain');
    // The defaults: two segmentations and one training job at once; lanes do not wait for each other.
    expect(started).toEqual(['predict-1', 'predict-2', 'pretrain-9']);
    expect(queue.queued()).toEqual(['predict-3', 'predict-4', 'predict-5', 'predict-6', 'predict-7', 'predict-8']);
    expect(places.get('predict-3')).toEqual({ position: 1, reason: '2 segmentations running' });
    expect(places.get('predict-8')).toEqual({ position: 6, reason: '2 segmentations running' });

    // A queued job is cancelled: it never starts, those behind it move up.
    expect(queue.withdraw('predict-4')).toBe(true);
    expect(queue.withdraw('predict-1')).toBe(false); // running: the job's own cancel stops it
    expect(places.get('predict-5')).toEqual({ position: 2, reason: '2 segmentations running' });

    // A slot frees (done, failed or cancelled alike: the start's promise settled): the next starts.
    await end('predict-2');
    expect(started.at(-1)).toBe('predict-3');
    expect(queue.queued()).toEqual(['predict-5', 'predict-6', 'predict-7', 'predict-8']);
    expect(places.get('predict-5')).toEqual({ position: 1, reason: '2 segmentations running' });
    for (const id of ['predict-1', 'predict-3', 'predict-5', 'predict-6', 'predict-7']) await end(id);
    expect(started).not.toContain('predict-4');
    expect(started.filter((id) => id.startsWith('predict'))).toEqual([
      'predict-1',
      'predict-2',
      'predict-3',
      'predict-5',
      'predict-6',
      'predict-7',
      'predict-8',
    ]);
    expect(queue.started().sort()).toEqual(['predict-8', 'pretrain-9']);
  });

  it('keeps fine-tuning behind pre-training (one training lane) and says why', () => {
    const { started, submit, placeFor } = harness();
    submit('pretrain-1', 'pretrain');
    expect(placeFor('finetune')).toEqual({ position: 1, reason: '1 training job running' });
    submit('finetune-2', 'finetune');
    expect(started).toEqual(['pretrain-1']);
    expect(placeFor('pretrain')).toEqual({ position: 2, reason: '1 training job running' });
    expect(placeFor('import')).toBeNull();
  });

  it('holds a job while free memory is below its need and another job runs, and starts it when memory frees', async () => {
    let free = 4 * GiB;
    let now = 0;
    const { queue, started, places, submit, end } = harness({ free: () => free, now: () => now, running: { running: { predict: 4 } } });
    submit('pretrain-1', 'pretrain'); // nothing else runs: it starts whatever memory says
    submit('predict-2', 'predict');
    // The pre-training started a moment ago and has not taken its 2828 MB yet: it counts as taken.
    expect(started).toEqual(['pretrain-1']);
    expect(places.get('predict-2')).toEqual({ position: 1, reason: 'needs 1.7 GB of free memory, 1.2 GB free' });
    now = 60_000; // it has taken its memory: what is free is what the system says
    free = 0.5 * GiB;
    queue.pump();
    expect(started).toEqual(['pretrain-1']);
    expect(places.get('predict-2')).toEqual({ position: 1, reason: 'needs 1.7 GB of free memory, 0.5 GB free' });
    free = 4 * GiB; // another program ended
    queue.pump();
    expect(started).toEqual(['pretrain-1', 'predict-2']);

    free = 0.2 * GiB;
    submit('predict-3', 'predict');
    expect(started).toHaveLength(2);
    await end('pretrain-1');
    await end('predict-2');
    // Nothing of this session runs: waiting could last forever, so it starts.
    expect(started).toEqual(['pretrain-1', 'predict-2', 'predict-3']);
  });

  it('starts nothing after close, and hands back what was waiting', async () => {
    const { queue, started, submit, end } = harness();
    submit('import-1', 'import');
    submit('import-2', 'import');
    expect(queue.close()).toEqual(['import-2']);
    await end('import-1');
    submit('import-3', 'import');
    expect(started).toEqual(['import-1']);
  });

  it("holds a job by its own settings' need: a small pre-training starts where one of the paper's size waits", () => {
    const small: JobShape = { size: 128, width: 16, batch: 8, backbone: 'unet', heads: 2 };
    for (const [shape, starts] of [
      [undefined, false],
      [small, true],
    ] as const) {
      const { started, places, submit } = harness({ free: () => 1.5 * GiB });
      submit('import-1', 'import'); // something of this session runs: memory decides
      submit('pretrain-2', 'pretrain', shape);
      expect(started).toEqual(starts ? ['import-1', 'pretrain-2'] : ['import-1']);
      if (!starts) expect(places.get('pretrain-2')).toEqual({ position: 1, reason: 'needs 2.8 GB of free memory, 1.4 GB free' });
    }
  });
});

describe("a job's memory need", () => {
  it("is the peak `ssmtl bench --jobs` measured, at the paper's sizes", () => {
    for (const kind of ['pretrain', 'finetune', 'predict'] as const) {
      expect(measuredMemoryNeed(kind, REFERENCE_SHAPE[kind])).toBe(MEASURED_PEAK_MB[kind] * MB);
      expect(measuredMemoryNeed(kind)).toBe(MEASURED_PEAK_MB[kind] * MB);
    }
    expect(measuredMemoryNeed('import')).toBe(146 * MB);
  });

  it('grows with the image size and width, and with the series a prediction segments', () => {
    const paper = REFERENCE_SHAPE.pretrain;
    const need = (shape: Partial<JobShape>) => measuredMemoryNeed('pretrain', { ...paper, ...shape }) / MB;
    // a small run: far less than the paper's, never less than a job process without a network
    expect(need({ size: 128, width: 16, batch: 8 })).toBeLessThan(1200);
    expect(need({ size: 128, width: 16, batch: 8 })).toBeGreaterThan(146);
    expect(need({ width: 32 })).toBeLessThan(MEASURED_PEAK_MB.pretrain);
    expect(need({ size: 512 })).toBeGreaterThan(2 * MEASURED_PEAK_MB.pretrain);
    // on wasm a step of the paper's size holds one image: the batch is split, not held at once
    expect(need({ batch: 64 })).toBe(MEASURED_PEAK_MB.pretrain);
    const predict = (voxels: number) => measuredMemoryNeed('predict', { ...REFERENCE_SHAPE.predict, voxels }) / MB;
    expect(predict(600 * 512 * 512) - predict(64 * 512 * 512)).toBeCloseTo((4 * 536 * 512 * 512) / MB, 0);
  });

  it("is a session's fixed figure where it sets one", () => {
    const limits = jobLimits({ memory: { predict: 3 * GiB } });
    expect(limits.memoryNeed('predict', REFERENCE_SHAPE.predict)).toBe(3 * GiB);
    expect(limits.memoryNeed('pretrain')).toBe(MEASURED_PEAK_MB.pretrain * MB);
  });
});
