import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { InMemorySliceSource } from '../../data/slice-source.ts';
import { ResNet50 } from '../../networks/resnet50.ts';
import { loadBackend } from '../../node/load-backend.ts';
import { syntheticVolume } from '../../node/test-fixtures.ts';
import { imagesOf } from '../pretext-method.ts';
import { relativeError } from '../../testing/finite-differences.ts';
import { SsmtlTrainer, type SsmtlConfig, type TrainerSnapshot } from '../ssmtl-trainer.ts';
import type { SsmtlPlusMethod } from './ssmtl-plus.ts';

// CI size: the ResNet50-FCN at its smallest input (64²), width 2.
const config: SsmtlConfig = { method: 'ssmtl+', ts: [2], size: 64, width: 2, batch: 4, lr: 1e-3, seed: 3, epochs: 4, microBatch: 4 };

function source(): InMemorySliceSource {
  return new InMemorySliceSource()
    .add('s1', 14, 64, 64, syntheticVolume(14, 64, 64, 1))
    .add('s2', 12, 72, 64, syntheticVolume(12, 72, 64, 2));
}

beforeAll(async () => {
  await loadBackend('wasm');
});

/** −cos(p, z) from differentiable ops only: gradients reach both arguments. */
function plainNegativeCosine(p: tf.Tensor2D, z: tf.Tensor2D): tf.Scalar {
  const dot = tf.sum(tf.mul(p, z), 1);
  const norms = tf.mul(tf.sqrt(tf.sum(tf.square(p), 1)), tf.sqrt(tf.sum(tf.square(z), 1)));
  return tf.neg(tf.mean(tf.div(dot, norms))) as tf.Scalar;
}

async function gradientsOf(vars: tf.Variable[], f: () => tf.Scalar): Promise<Float32Array[]> {
  const { grads, value } = tf.variableGrads(f, vars);
  const out = await Promise.all(vars.map(async (v) => (await grads[v.name].data()) as Float32Array));
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

describe('SSMTL+ (paper Sec. 3.3)', () => {
  it('draws the partner x_k from [j−2t, j−t−1] ∪ [j+t+1, j+2t] of the same scan', () => {
    const trainer = new SsmtlTrainer(source(), config);
    const method = trainer.method as SsmtlPlusMethod;
    for (let epoch = 0; epoch < 3; epoch++) {
      const partners = method.partners(trainer.plan.anchors, epoch);
      trainer.plan.anchors.forEach((a, i) => {
        const d = Math.abs(partners[i].index - a.index);
        expect(partners[i].series).toBe(a.series);
        expect(d >= 3 && d <= 4).toBe(true); // t = 2: t+1 … 2t away
      });
    }
    trainer.dispose();
  });

  it('no gradient reaches the encoder through the q(x_k) branch (stop-gradient)', async () => {
    const trainer = new SsmtlTrainer(source(), { ...config, lambda: 1 });
    const method = trainer.method as SsmtlPlusMethod;
    const anchors = trainer.plan.anchors.slice(0, 3);
    const { x, y } = method.assemble(anchors);
    const xk = imagesOf(method.context.slices, method.partners(anchors, 0), config.size);
    const shape = [3, config.size, config.size, 1] as const;
    const input = () => tf.tensor4d(x, [...shape]);
    const targets = () => tf.tensor4d(y, [3, config.size, config.size, 2]);
    const partner = () => tf.tensor4d(xk, [...shape]);
    const vars = method.trainable.map((e) => e.variable);
    const encoder = method.trainable.map((e) => e.name.startsWith('encoder.'));

    // (a) what the trainer computes for this batch (one micro-batch)
    const step = method.beginStep(anchors, 0);
    await step.runPart(0);
    const { grads } = step.gradients();
    const trained = await Promise.all(grads.map(async (g) => (await g.data()) as Float32Array));
    tf.dispose(grads);
    step.abort();
    // (b) the same objective with q(x_k) as a constant
    const constant = tf.tidy(() => ResNet50.pool(method.net.encoder.forward(partner(), 'train').c5));
    const withConstant = await gradientsOf(vars, () => {
      const { features, c5 } = method.net.features(input(), 'train');
      const mse = tf.sum(tf.mean(tf.squaredDifference(method.net.applyHeads(features, config.size), targets()), [0, 1, 2]));
      return tf.add(mse, plainNegativeCosine(method.predictor.apply(ResNet50.pool(c5)), constant)) as tf.Scalar;
    });
    // (c) the same objective with the gradient allowed through q(x_k)
    const through = await gradientsOf(vars, () => {
      const { features, c5 } = method.net.features(input(), 'train');
      const mse = tf.sum(tf.mean(tf.squaredDifference(method.net.applyHeads(features, config.size), targets()), [0, 1, 2]));
      const z = ResNet50.pool(method.net.encoder.forward(partner(), 'train').c5);
      return tf.add(mse, plainNegativeCosine(method.predictor.apply(ResNet50.pool(c5)), z)) as tf.Scalar;
    });
    method.net.discardStatistics();
    constant.dispose();

    // The trainer's gradients are those of (b) for every parameter…
    trained.forEach((g, i) => expect(relativeError(withConstant[i], g), method.trainable[i].name).toBeLessThan(1e-4));
    // …and differ from (c) exactly on the encoder, which is what the x_k branch would reach.
    const differs = trained.map((g, i) => relativeError(through[i], g) > 1e-3);
    expect(differs.some(Boolean)).toBe(true);
    differs.forEach((d, i) => {
      if (d) expect(encoder[i], method.trainable[i].name).toBe(true);
    });
    trainer.dispose();
  }, 120_000);

  it('reports each task live and lowers the pretext and similarity losses; loss = pretext + λ·sim', async () => {
    const trainer = new SsmtlTrainer(source(), { ...config, lambda: 0.5, epochs: 5 });
    expect(trainer.heads).toEqual(['t2-', 't2+', 'sim']);
    const progress: Record<string, number>[] = [];
    const result = await trainer.run({ onEvent: (e) => void (e.type === 'progress' && progress.push(e.headLosses)) });
    trainer.dispose();
    expect(Object.keys(progress[0])).toEqual(['t2-', 't2+', 'sim']);
    const [first, last] = [result.perEpochHeads[0], result.perEpochHeads.at(-1)!];
    expect(last[0]).toBeLessThan(first[0]);
    expect(last[1]).toBeLessThan(first[1]);
    expect(last[2]).toBeLessThan(first[2]);
    expect(first[2]).toBeGreaterThanOrEqual(-1);
    expect(result.perEpoch[0]).toBeCloseTo(first[0] + first[1] + 0.5 * first[2], 5);
  }, 120_000);

  it('resumed from a checkpoint taken mid-epoch, ends bit-identical to an uninterrupted run (batch statistics included)', async () => {
    const cfg = { ...config, epochs: 2, microBatch: 2 };
    const straight = new SsmtlTrainer(source(), cfg);
    const full = await straight.run();
    const fullWeights = await straight.weights();
    straight.dispose();

    const first = new SsmtlTrainer(source(), cfg);
    let snapshot: TrainerSnapshot | null = null;
    await first.run({ checkpointIntervalMs: 0, maxSteps: 3, onCheckpoint: async (s) => void (snapshot = s) });
    first.dispose();
    expect(snapshot!.step).toBeGreaterThan(0);
    expect(snapshot!.tensors.some((t) => t.name.endsWith('.runningVar'))).toBe(true);
    expect(snapshot!.tensors.some((t) => t.name.startsWith('predictor.'))).toBe(true);

    const second = new SsmtlTrainer(source(), cfg);
    second.restore(snapshot!);
    const rest = await second.run();
    const resumedWeights = await second.weights();
    second.dispose();
    expect(rest.perEpoch).toEqual(full.perEpoch);
    expect(resumedWeights.map((t) => t.name)).toEqual(fullWeights.map((t) => t.name));
    resumedWeights.forEach((t, i) => expect(Array.from(t.data), t.name).toEqual(Array.from(fullWeights[i].data)));
    // the kept backbone: encoder, decoder and heads with their batch statistics, not the predictor h
    expect(fullWeights.some((t) => t.name.startsWith('predictor.'))).toBe(false);
    expect(fullWeights.some((t) => t.name === 'decoder.fuse.bn.runningMean')).toBe(true);
  }, 120_000);

  it('refuses the U-Net (it has no separate encoder q)', () => {
    expect(() => new SsmtlTrainer(source(), { ...config, backbone: 'unet', size: 64 })).toThrow(/ResNet50-FCN only/);
  });
});
