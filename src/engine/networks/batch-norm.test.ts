import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBackend } from '../node/load-backend.ts';
import { normalInput, worstGradientError } from '../testing/finite-differences.ts';
import { BatchNorm, batchNormTrain, BN_EPS, BN_MOMENTUM } from './batch-norm.ts';
import { ParamSet } from './params.ts';

beforeAll(async () => {
  await loadBackend('cpu');
});

describe('batch normalization', () => {
  it('has the gradient finite differences give', async () => {
    const x = normalInput([3, 4, 5, 6], 1, 2);
    const gamma = normalInput([6], 2);
    const beta = normalInput([6], 3, 0.5);
    const weights = tf.tensor(normalInput([3, 4, 5, 6], 4).values, [3, 4, 5, 6]);
    const { worst } = await worstGradientError(
      (xs, g, b) => {
        const { y, mean, variance } = batchNormTrain(xs, g as tf.Tensor1D, b as tf.Tensor1D, false);
        tf.dispose([mean, variance]);
        return tf.sum(tf.mul(y, weights));
      },
      [x, gamma, beta],
      { epsilon: 1e-2, probes: 30 },
    );
    weights.dispose();
    expect(worst).toBeLessThan(1e-2);
  });

  it('with the ReLU fused, has the gradient of batch normalization followed by tf.relu', async () => {
    // (finite differences are unreliable across the ReLU's kink; the unfused pair is checked above and in gradients.test.ts)
    const inputs = [normalInput([2, 3, 3, 4], 5, 2), normalInput([4], 6), normalInput([4], 7, 0.5)].map((i) =>
      tf.tensor(i.values, i.shape),
    );
    const weights = tf.tensor(normalInput([2, 3, 3, 4], 8).values, [2, 3, 3, 4]);
    const gradsOf = (fused: boolean) =>
      tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const { y, mean, variance } = batchNormTrain(x, g as tf.Tensor1D, b as tf.Tensor1D, fused);
        tf.dispose([mean, variance]);
        return tf.sum(tf.mul(fused ? y : tf.relu(y), weights));
      })(inputs);
    const fused = await Promise.all(gradsOf(true).map((g) => g.data()));
    const composed = await Promise.all(gradsOf(false).map((g) => g.data()));
    fused.forEach((g, k) => g.forEach((v, i) => expect(v).toBeCloseTo(composed[k][i], 5)));
    tf.dispose([...inputs, weights]);
  });

  it('normalizes by the statistics of its input in training, by the running ones in evaluation', async () => {
    const params = new ParamSet();
    const bn = new BatchNorm(params, 'bn', 2);
    const values = [1, 10, 3, 20, 5, 30, 7, 40]; // channel 0: 1 3 5 7, channel 1: 10 20 30 40
    const x = tf.tensor(values, [2, 2, 1, 2]);
    const y = (await bn.apply(x, 'train').data()) as Float32Array;
    const expected = (c: number, v: number) => {
      const xs = values.filter((_, i) => i % 2 === c);
      const mean = xs.reduce((a, b) => a + b) / 4;
      const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / 4;
      return (v - mean) / Math.sqrt(variance + BN_EPS);
    };
    values.forEach((v, i) => expect(y[i]).toBeCloseTo(expected(i % 2, v), 5));
    // evaluation before any commit: running statistics are still mean 0, variance 1
    const e = (await bn.apply(x, 'eval').data()) as Float32Array;
    values.forEach((v, i) => expect(e[i]).toBeCloseTo(v / Math.sqrt(1 + BN_EPS), 4));
    bn.discard();
    params.dispose();
    x.dispose();
  });

  it('updates the running statistics once per micro-batch, in order, only on commit', async () => {
    const params = new ParamSet();
    const bn = new BatchNorm(params, 'bn', 1);
    const a = [1, 2, 3, 6];
    const b = [10, 14];
    tf.tidy(() => {
      bn.apply(tf.tensor(a, [4, 1]), 'train');
      bn.apply(tf.tensor(b, [2, 1]), 'train');
    });
    expect(Array.from(await bn.runningMean.data())).toEqual([0]);
    bn.commit();
    const stats = (xs: number[]) => {
      const mean = xs.reduce((s, v) => s + v) / xs.length;
      return { mean, unbiased: xs.reduce((s, v) => s + (v - mean) ** 2, 0) / (xs.length - 1) };
    };
    let mean = 0;
    let variance = 1;
    for (const xs of [a, b]) {
      const s = stats(xs);
      mean = (1 - BN_MOMENTUM) * mean + BN_MOMENTUM * s.mean;
      variance = (1 - BN_MOMENTUM) * variance + BN_MOMENTUM * s.unbiased;
    }
    expect((await bn.runningMean.data())[0]).toBeCloseTo(mean, 5);
    expect((await bn.runningVar.data())[0]).toBeCloseTo(variance, 5);
    // a discarded step leaves them as they were
    tf.tidy(() => void bn.apply(tf.tensor([100, 200], [2, 1]), 'train'));
    bn.discard();
    expect((await bn.runningMean.data())[0]).toBeCloseTo(mean, 5);
    params.dispose();
  });

  it('refuses to train on a single value per channel', () => {
    const params = new ParamSet();
    const bn = new BatchNorm(params, 'bn', 3);
    expect(() => bn.apply(tf.zeros([1, 1, 1, 3]), 'train')).toThrow(/more than one value per channel/);
    params.dispose();
  });
});
