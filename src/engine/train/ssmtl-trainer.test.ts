import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { InMemorySliceSource } from '../data/slice-source.ts';
import { loadBackend } from '../node/load-backend.ts';
import { syntheticVolume } from '../node/test-fixtures.ts';
import { NonFiniteLossError, NoTrainingDataError } from './errors.ts';
import { JobControl } from './control.ts';
import { SsmtlTrainer, type SsmtlConfig, type TrainerSnapshot } from './ssmtl-trainer.ts';
import type { MethodStep } from './pretext-method.ts';
import { multiTaskMse } from '../losses.ts';
import { createNetwork } from '../networks/create-network.ts';
import type { SsmtlMethod } from './methods/ssmtl.ts';

/** Calls `after(epoch, step, part)` once each micro-batch of the trainer has run. */
function afterEachPart(trainer: SsmtlTrainer, after: (epoch: number, step: number, part: number) => void): void {
  const begin = trainer.method.beginStep.bind(trainer.method);
  trainer.method.beginStep = (items, epoch, step): MethodStep => {
    const work = begin(items, epoch, step);
    return {
      ...work,
      parts: work.parts,
      runPart: async (k) => {
        await work.runPart(k);
        after(epoch, step, k);
      },
      gradients: () => work.gradients(),
      afterUpdate: () => work.afterUpdate(),
      abort: () => work.abort(),
    };
  };
}

// CI size (DESIGN.md): 32², width 4 on wasm.
const config: SsmtlConfig = { ts: [2], size: 32, width: 4, batch: 8, lr: 1e-3, seed: 3, epochs: 6, microBatch: 8 };

function source(): InMemorySliceSource {
  return new InMemorySliceSource()
    .add('s1', 20, 36, 40, syntheticVolume(20, 36, 40, 1))
    .add('s2', 16, 32, 32, syntheticVolume(16, 32, 32, 2));
}

beforeAll(async () => {
  await loadBackend('wasm');
});

describe('SsmtlTrainer', () => {
  it('decreases the loss of every head on a tiny synthetic sequence', async () => {
    const trainer = new SsmtlTrainer(source(), config);
    const result = await trainer.run();
    trainer.dispose();
    expect(result.status).toBe('done');
    expect(result.perEpoch).toHaveLength(6);
    const first = result.perEpochHeads[0];
    const last = result.perEpochHeads.at(-1)!;
    for (let h = 0; h < 2; h++) expect(last[h]).toBeLessThan(0.7 * first[h]);
    // the total is the sum of the heads (Eq. 1)
    expect(result.perEpoch[0]).toBeCloseTo(first[0] + first[1], 5);
  });

  it('does not leak tensors from step to step', async () => {
    const trainer = new SsmtlTrainer(source(), { ...config, microBatch: 3 });
    await trainer.run({ maxSteps: 1 });
    const before = tf.memory().numTensors;
    await trainer.run({ maxSteps: 3 });
    expect(tf.memory().numTensors).toBe(before);
    trainer.dispose();
  });

  it('micro-batches give the same update as the whole batch (no batch statistics in the U-Net)', async () => {
    const a = new SsmtlTrainer(source(), { ...config, epochs: 1 });
    const b = new SsmtlTrainer(source(), { ...config, epochs: 1, microBatch: 3 });
    await a.run({ maxSteps: 2 });
    await b.run({ maxSteps: 2 });
    const wa = await a.net.params.get('down0.conv1.w').data();
    const wb = await b.net.params.get('down0.conv1.w').data();
    let maxDiff = 0;
    wa.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - wb[i]))));
    expect(maxDiff).toBeLessThan(1e-5);
    a.dispose();
    b.dispose();
  });

  it('resumed from a snapshot taken mid-epoch, ends exactly where an uninterrupted run ends', async () => {
    const cfg = { ...config, epochs: 3 };
    const straight = new SsmtlTrainer(source(), cfg);
    const full = await straight.run();
    const fullWeights = await straight.net.params.get('up0.conv2.w').data();
    straight.dispose();

    const first = new SsmtlTrainer(source(), cfg);
    let snapshot: TrainerSnapshot | null = null;
    // every step checkpoints; the session ends mid-epoch as a kill would end it
    await first.run({ checkpointIntervalMs: 0, maxSteps: 5, onCheckpoint: async (s) => void (snapshot = s) });
    first.dispose();
    expect(snapshot!.step).toBeGreaterThan(0);

    const second = new SsmtlTrainer(source(), cfg);
    second.restore(snapshot!);
    const rest = await second.run();
    const resumedWeights = await second.net.params.get('up0.conv2.w').data();
    second.dispose();
    expect(rest.perEpoch).toEqual(full.perEpoch);
    expect(Array.from(resumedWeights)).toEqual(Array.from(fullWeights));
  });

  it('stops on a non-finite loss before the update reaches the weights', async () => {
    const trainer = new SsmtlTrainer(source(), { ...config, lr: 1e30 });
    const checkpoints: number[] = [];
    let error: unknown;
    try {
      await trainer.run({ onCheckpoint: async (s) => void checkpoints.push(s.globalStep) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NonFiniteLossError);
    expect((error as Error).message).toMatch(/non-finite.*last good checkpoint/);
    const weights = await trainer.net.params.get('down0.conv1.w').data();
    expect(weights.every((v) => Number.isFinite(v))).toBe(true);
    trainer.dispose();
  });

  it('pauses, resumes and cancels between steps, checkpointing on pause and cancel', async () => {
    const control = new JobControl();
    const trainer = new SsmtlTrainer(source(), { ...config, epochs: 50 });
    const reasons: string[] = [];
    const states: string[] = [];
    let steps = 0;
    const run = trainer.run({
      control,
      onCheckpoint: async (_s, reason) => void reasons.push(reason),
      onEvent: (e) => {
        if (e.type === 'state') states.push(e.state);
        if (e.type === 'state' && e.state === 'paused') setTimeout(() => control.resume(), 30);
        if (e.type === 'progress' && ++steps === 2) control.pause();
        if (e.type === 'progress' && steps === 4) control.cancel();
      },
    });
    const result = await run;
    trainer.dispose();
    expect(result.status).toBe('cancelled');
    expect(steps).toBe(4);
    expect(states).toEqual(['running', 'paused', 'running', 'cancelled']);
    expect(reasons[0]).toBe('pause');
    expect(reasons.at(-1)).toBe('cancel');
  });

  it('cancels between micro-batches: the step is dropped, the checkpoint is the state at its start, and a resumed run ends as an uninterrupted one', async () => {
    const cfg = { ...config, epochs: 2, microBatch: 2 };
    const straight = new SsmtlTrainer(source(), cfg);
    const full = await straight.run();
    const fullWeights = await straight.net.params.get('up0.conv2.w').data();
    straight.dispose();

    const control = new JobControl();
    const trainer = new SsmtlTrainer(source(), cfg);
    afterEachPart(trainer, (epoch, step, part) => {
      if (epoch === 1 && step === 1 && part === 0) control.cancel();
    });
    const snapshots: TrainerSnapshot[] = [];
    const steps: number[] = [];
    const result = await trainer.run({
      control,
      onCheckpoint: async (s, reason) => void (reason === 'cancel' && snapshots.push(s)),
      onEvent: (e) => void (e.type === 'progress' && steps.push(e.globalStep)),
    });
    trainer.dispose();
    expect(result.status).toBe('cancelled');
    const stepsPerEpoch = steps.length - 1; // epoch 0, then step 0 of epoch 1
    expect(snapshots).toHaveLength(1);
    expect(snapshots[0]).toMatchObject({ epoch: 1, step: 1, globalStep: stepsPerEpoch + 1 });

    const resumed = new SsmtlTrainer(source(), cfg);
    resumed.restore(snapshots[0]);
    const rest = await resumed.run();
    const resumedWeights = await resumed.net.params.get('up0.conv2.w').data();
    resumed.dispose();
    expect(rest.perEpoch).toEqual(full.perEpoch);
    expect(Array.from(resumedWeights)).toEqual(Array.from(fullWeights));
  });

  it('pauses between micro-batches and continues the same step on resume, as if never paused', async () => {
    const cfg = { ...config, epochs: 1, microBatch: 2 };
    const straight = new SsmtlTrainer(source(), cfg);
    const full = await straight.run();
    straight.dispose();
    const control = new JobControl();
    const trainer = new SsmtlTrainer(source(), cfg);
    afterEachPart(trainer, (_epoch, step, part) => {
      if (step === 1 && part === 0) control.pause();
    });
    const states: string[] = [];
    const pauses: number[] = [];
    const result = await trainer.run({
      control,
      onCheckpoint: async (s, reason) => void (reason === 'pause' && pauses.push(s.globalStep)),
      onEvent: (e) => {
        if (e.type !== 'state') return;
        states.push(e.state);
        if (e.state === 'paused') setTimeout(() => control.resume(), 20);
      },
    });
    trainer.dispose();
    expect(states).toEqual(['running', 'paused', 'running', 'done']);
    expect(pauses).toEqual([1]);
    expect(result.perEpoch).toEqual(full.perEpoch);
  });

  it('with batch statistics (ResNet50-FCN), a step in micro-batches is the sum of the micro-batches normalized by their own statistics', async () => {
    const cfg: SsmtlConfig = { ...config, backbone: 'resnet50-fcn', size: 64, width: 2, batch: 4, microBatch: 2 };
    const big = new InMemorySliceSource().add('s1', 20, 64, 64, syntheticVolume(20, 64, 64, 1));
    const trainer = new SsmtlTrainer(big, cfg);
    const method = trainer.method as SsmtlMethod;
    const anchors = trainer.plan.anchors.slice(0, 4);
    const step = method.beginStep(anchors);
    expect(step.parts).toBe(2);
    for (let k = 0; k < step.parts; k++) await step.runPart(k);
    const { grads } = step.gradients();
    step.afterUpdate(); // commits the batch statistics
    const got = await Promise.all(grads.map((g) => g.data()));
    tf.dispose(grads);
    const runningMean = await method.net.params.get('encoder.stem.conv.bn.runningMean').data();

    // Reference: the same network, each half of the batch on its own, weight ½ each.
    const reference = createNetwork('resnet50-fcn', 2, method.tasks, cfg.seed);
    const vars = reference.params.variables;
    const sums = vars.map((v) => new Float32Array(v.size));
    for (const half of [anchors.slice(0, 2), anchors.slice(2)]) {
      const { x, y } = method.assemble(half);
      const { grads: g, value } = tf.variableGrads(() => {
        const out = reference.predict(tf.tensor4d(x, [2, 64, 64, 1]), 'train');
        return tf.mul(multiTaskMse(out, tf.tensor4d(y, [2, 64, 64, 2])).total, 0.5) as tf.Scalar;
      }, vars);
      for (let i = 0; i < vars.length; i++) (await g[vars[i].name].data()).forEach((v, j) => (sums[i][j] += v));
      tf.dispose([value, ...Object.values(g)]);
    }
    reference.commitStatistics();
    sums.forEach((s, i) => s.forEach((v, j) => expect(got[i][j]).toBeCloseTo(v, 5)));
    const expectedMean = await reference.params.get('encoder.stem.conv.bn.runningMean').data();
    runningMean.forEach((v, i) => expect(v).toBeCloseTo(expectedMean[i], 6));
    expect(Math.abs(runningMean[0])).toBeGreaterThan(0); // two momentum updates happened
    reference.dispose();
    trainer.dispose();
  }, 60_000);

  it('refuses data that cannot train: no series, or every series too short', () => {
    expect(() => new SsmtlTrainer(new InMemorySliceSource(), config)).toThrow(NoTrainingDataError);
    const short = new InMemorySliceSource().add('x', 4, 8, 8, new Float32Array(256));
    expect(() => new SsmtlTrainer(short, config)).toThrow(/2t \+ 1 = 5/);
  });
});
