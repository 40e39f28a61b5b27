import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { infoNce, meanAbsoluteError, negativeCosine } from './losses.ts';
import { loadBackend } from './node/load-backend.ts';
import { normalInput, worstGradientError } from './testing/finite-differences.ts';

beforeAll(async () => {
  await loadBackend('cpu');
});

function normalized(shape: [number, number], seed: number): tf.Tensor2D {
  const t = tf.tensor2d(normalInput(shape, seed).values, shape);
  return tf.div(t, tf.norm(t, 2, 1, true)) as tf.Tensor2D;
}

describe('losses', () => {
  it('negative cosine: −1 for aligned vectors, the gradient of finite differences for the prediction, none for the target', async () => {
    const p = tf.tensor2d([[1, 2, 2]]);
    expect((await negativeCosine(p, tf.tensor2d([[2, 4, 4]])).data())[0]).toBeCloseTo(-1, 6);
    expect((await negativeCosine(p, tf.tensor2d([[2, -1, 0]])).data())[0]).toBeCloseTo(0, 6);
    const target = tf.tensor2d(normalInput([4, 6], 2).values, [4, 6]);
    const { worst } = await worstGradientError((x) => negativeCosine(x as tf.Tensor2D, target), [normalInput([4, 6], 1)], {
      epsilon: 1e-2,
    });
    expect(worst).toBeLessThan(5e-3);
    const [dTarget] = tf.grads((z: tf.Tensor) => negativeCosine(tf.tensor2d(normalInput([4, 6], 1).values, [4, 6]), z as tf.Tensor2D))([
      target,
    ]);
    expect(Array.from(await dTarget.data()).every((v) => v === 0)).toBe(true);
  });

  it('InfoNCE: the log-softmax of the positive among the negatives, with the gradient of finite differences', async () => {
    const keys = normalized([3, 5], 3);
    const queue = normalized([7, 5], 4);
    const q = normalInput([3, 5], 5);
    const value = (await infoNce(tf.tensor2d(q.values, [3, 5]), keys, queue, 0.2).data())[0];
    // reference in float64
    const qs = tf.tidy(() => {
      const t = tf.tensor2d(q.values, [3, 5]);
      return tf.div(t, tf.norm(t, 2, 1, true));
    });
    const [qv, kv, nv] = await Promise.all([qs.data(), keys.data(), queue.data()]);
    let expected = 0;
    for (let i = 0; i < 3; i++) {
      const dot = (a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number) =>
        [0, 1, 2, 3, 4].reduce((s, d) => s + a[ao + d] * b[bo + d], 0);
      const logits = [dot(qv, i * 5, kv, i * 5), ...[0, 1, 2, 3, 4, 5, 6].map((j) => dot(qv, i * 5, nv, j * 5))].map((l) => l / 0.2);
      const max = Math.max(...logits);
      const lse = max + Math.log(logits.reduce((s, l) => s + Math.exp(l - max), 0));
      expected += (lse - logits[0]) / 3;
    }
    expect(value).toBeCloseTo(expected, 4);
    const { worst } = await worstGradientError((x) => infoNce(x as tf.Tensor2D, keys, queue, 0.2), [q], { epsilon: 1e-2 });
    expect(worst).toBeLessThan(5e-3);
  });

  it('mean absolute error and its gradient', async () => {
    const y = tf.tensor(normalInput([2, 3, 3, 1], 7).values, [2, 3, 3, 1]);
    const { worst } = await worstGradientError((x) => meanAbsoluteError(x, y), [normalInput([2, 3, 3, 1], 6)], { epsilon: 1e-3 });
    expect(worst).toBeLessThan(5e-3);
    expect((await meanAbsoluteError(tf.tensor([1, -1]), tf.tensor([0, 1])).data())[0]).toBeCloseTo(1.5, 6);
  });
});
