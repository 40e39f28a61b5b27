import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import './gradients.ts';
import { loadBackend } from './node/load-backend.ts';
import { normalInput, relativeError, worstGradientError } from './testing/finite-differences.ts';

/**
 * The gradient registrations the ResNet50-FCN, the MLP heads and the contrastive losses
 * rely on, checked against finite differences on the cpu backend (the reference), and the
 * same gradients computed on wasm (with the project's training kernels) against cpu.
 */
const weightsFor = (shape: number[], seed: number) => tf.tensor(normalInput(shape, seed).values, shape);

const cases: { name: string; inputs: ReturnType<typeof normalInput>[]; f: (...xs: tf.Tensor[]) => tf.Tensor }[] = [
  ...([false, true] as const).flatMap((ta) =>
    ([false, true] as const).map((tb) => ({
      name: `matMul transposeA ${ta} transposeB ${tb}`,
      inputs: [normalInput(ta ? [5, 3] : [3, 5], 1), normalInput(tb ? [4, 5] : [5, 4], 2)],
      f: (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, ta, tb),
    })),
  ),
  {
    name: 'div, sqrt, neg (broadcast)',
    inputs: [normalInput([3, 4], 12), { shape: [3, 1], values: Float32Array.from([1.5, 2, 3]) }],
    f: (a, b) => tf.neg(tf.div(a, tf.sqrt(b))),
  },
  { name: 'transpose', inputs: [normalInput([2, 3, 4], 3)], f: (x) => tf.transpose(x, [2, 0, 1]) },
  {
    name: 'resizeBilinear ×2 and ×8, aligned corners',
    inputs: [normalInput([2, 3, 4, 3], 4)],
    f: (x) => tf.concat([tf.image.resizeBilinear(x as tf.Tensor4D, [16, 16], true), tf.zeros([2, 16, 16, 1])], 3),
  },
  {
    name: 'conv2d 3×3 stride 2, explicit padding 1',
    inputs: [normalInput([2, 8, 8, 3], 5), normalInput([3, 3, 3, 4], 6)],
    f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 1),
  },
  {
    name: 'conv2d 7×7 stride 2, explicit padding 3',
    inputs: [normalInput([1, 12, 12, 2], 7), normalInput([7, 7, 2, 3], 8, 0.3)],
    f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 3),
  },
  {
    name: 'conv2d 1×1 stride 2',
    inputs: [normalInput([2, 6, 6, 3], 9), normalInput([1, 1, 3, 5], 10)],
    f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'valid'),
  },
  {
    name: 'maxPool 3×3 stride 2, padding 1',
    inputs: [normalInput([2, 8, 8, 3], 11)],
    f: (x) => tf.maxPool(x as tf.Tensor4D, 3, 2, 1),
  },
];

function lossOf(f: (...xs: tf.Tensor[]) => tf.Tensor, seed: number) {
  let weights: tf.Tensor | null = null;
  return (...xs: tf.Tensor[]) => {
    const y = f(...xs);
    weights ??= tf.keep(weightsFor(y.shape, seed));
    return tf.sum(tf.mul(y, weights)) as tf.Scalar;
  };
}

describe('registered gradients', () => {
  beforeAll(async () => {
    await loadBackend('cpu');
  });

  it.each(cases)('$name: finite differences on cpu', async ({ inputs, f }) => {
    const { worst } = await worstGradientError(lossOf(f, 99), inputs, { epsilon: 1e-2 });
    expect(worst).toBeLessThan(5e-3);
  });
});

async function analytic(backend: 'cpu' | 'wasm', inputs: ReturnType<typeof normalInput>[], f: (...xs: tf.Tensor[]) => tf.Tensor) {
  await loadBackend(backend);
  const loss = lossOf(f, 99);
  const grads = tf.tidy(() => tf.grads((...xs: tf.Tensor[]) => loss(...xs) as tf.Scalar)(inputs.map((i) => tf.tensor(i.values, i.shape))));
  const out = await Promise.all(grads.map(async (g) => (await g.data()) as Float32Array));
  tf.dispose(grads);
  return out;
}

describe('the same gradients on wasm as on cpu', () => {
  it.each(cases)('$name', async ({ inputs, f }) => {
    const reference = await analytic('cpu', inputs, f);
    const got = await analytic('wasm', inputs, f);
    reference.forEach((ref, k) => expect(relativeError(ref, got[k])).toBeLessThan(1e-5));
  });
});
