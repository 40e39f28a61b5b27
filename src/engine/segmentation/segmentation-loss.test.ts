import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { softDice, softmaxCrossEntropy } from './segmentation-loss.ts';

/** Central differences of a scalar function of the logits, to check the hand-written gradients. */
function numericGradient(f: (x: tf.Tensor4D) => tf.Scalar, x: Float32Array, shape: [number, number, number, number]): Float32Array {
  const out = new Float32Array(x.length);
  const h = 1e-2;
  for (let i = 0; i < x.length; i++) {
    const plus = x.slice();
    const minus = x.slice();
    plus[i] += h;
    minus[i] -= h;
    const a = tf.tidy(() => f(tf.tensor4d(plus, shape)).dataSync()[0]);
    const b = tf.tidy(() => f(tf.tensor4d(minus, shape)).dataSync()[0]);
    out[i] = (a - b) / (2 * h);
  }
  return out;
}

describe('segmentation losses', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  const shape: [number, number, number, number] = [2, 3, 3, 3];
  const n = 2 * 3 * 3;
  const logits = new Float32Array(n * 3).map((_, i) => Math.sin(i * 1.7) * 2);
  const onehot = new Float32Array(n * 3);
  for (let p = 0; p < n; p++) onehot[p * 3 + ((p * 7) % 3)] = 1;

  for (const [name, loss] of [
    ['cross-entropy', softmaxCrossEntropy],
    ['soft Dice', softDice],
  ] as const) {
    it(`${name}: the hand-written gradient matches finite differences`, () => {
      const y = tf.tensor4d(onehot, shape);
      const f = (x: tf.Tensor4D) => loss(x, y);
      const analytic = tf.tidy(
        () =>
          tf
            .grad((x: tf.Tensor) => f(x as tf.Tensor4D))(tf.tensor4d(logits, shape))
            .dataSync() as Float32Array,
      );
      const numeric = numericGradient(f, logits, shape);
      for (let i = 0; i < logits.length; i++) expect(analytic[i]).toBeCloseTo(numeric[i], 3);
      y.dispose();
    });
  }

  it('cross-entropy of a uniform prediction is ln(C); Dice of a perfect one is 0', () => {
    const y = tf.tensor4d(onehot, shape);
    expect(softmaxCrossEntropy(tf.zeros(shape) as tf.Tensor4D, y).dataSync()[0]).toBeCloseTo(Math.log(3), 5);
    const confident = tf.mul(y, 50) as tf.Tensor4D;
    expect(softDice(confident, y).dataSync()[0]).toBeCloseTo(0, 3);
  });
});
