import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { loadBackend } from '../node/load-backend.ts';
import { Random } from '../random.ts';
import { relativeError } from '../testing/finite-differences.ts';
import { ResNet50Fcn } from './resnet50-fcn.ts';

const size = 64;

function images(n: number, seed: number): Float32Array {
  const random = new Random(seed);
  return Float32Array.from({ length: n * size * size }, () => random.normal());
}

async function lossAndGrads(backend: 'cpu' | 'wasm' | 'webgpu') {
  await loadBackend(backend);
  const net = new ResNet50Fcn({ width: 2, heads: 2 }, 4);
  const x = tf.tensor4d(images(2, 1), [2, size, size, 1]);
  const target = tf.tensor4d(
    images(2, 2)
      .map((v, i) => v * 0.5 + (i % 3))
      .slice(0, 2 * size * size),
    [2, size, size, 1],
  );
  const y = tf.concat([target, tf.mul(target, -1)], 3);
  const { value, grads } = tf.variableGrads(
    () => tf.mean(tf.squaredDifference(net.predict(x, 'train'), y)) as tf.Scalar,
    net.params.variables,
  );
  const out = new Map<string, Float32Array>();
  for (const { name, variable } of net.params.entries) out.set(name, (await grads[variable.name].data()) as Float32Array);
  const loss = (await value.data())[0];
  net.discardStatistics();
  tf.dispose([x, target, y, value, ...Object.values(grads)]);
  net.dispose();
  return { loss, grads: out };
}

describe('ResNet50-FCN', () => {
  it('is ResNet50 without its fully-connected layer (23.5 M encoder parameters and 2048 channels out at width 64)', async () => {
    await loadBackend('cpu');
    // Convolutions scale with width², batch normalization (2 per channel) and the 1-channel
    // stem with width: count(w) = A·w² + B·w. B = 49 (stem) + 2·415 (BN channels: w + Σ
    // blocks·6·mid + 4·mid per layer). torchvision's resnet50 has 25 557 032 parameters;
    // less the FC (2048·1000 + 1000) and two of conv1's three input channels (7·7·2·64):
    // 23 501 760 at w = 64, which fixes A = 5724. Checked at width 16 (fast) by the same law.
    const B = 49 + 2 * 415;
    const A = (23_501_760 - B * 64) / 64 ** 2;
    expect(A).toBe(5724);
    const net = new ResNet50Fcn({ width: 16, heads: 2 }, 0);
    const encoder = net.params.entries.filter((e) => e.name.startsWith('encoder.')).reduce((n, e) => n + e.variable.size, 0);
    expect(encoder).toBe(A * 16 ** 2 + B * 16);
    expect(net.encoder.outChannels).toBe(32 * 16);
    expect(net.params.buffers).toHaveLength(2 * (53 + 1)); // running mean and variance of 53 encoder BNs + the decoder's
    net.dispose();
  });

  it('maps [n, s, s, 1] to full-resolution heads, and features at s/8', async () => {
    await loadBackend('wasm');
    const net = new ResNet50Fcn({ width: 2, heads: 3 }, 1);
    const x = tf.tensor4d(images(2, 3), [2, size, size, 1]);
    const out = net.predict(x, 'train');
    expect(out.shape).toEqual([2, size, size, 3]);
    const { features, c5 } = net.features(x, 'eval');
    expect(features.shape).toEqual([2, size / 8, size / 8, 8]);
    expect(c5.shape).toEqual([2, size / 32, size / 32, 64]);
    net.discardStatistics();
    tf.dispose([x, out, features, c5]);
    net.dispose();
  });

  it('in evaluation, an image gets the same output whatever else is in the batch', async () => {
    await loadBackend('wasm');
    const net = new ResNet50Fcn({ width: 2, heads: 1 }, 2);
    tf.tidy(() => void net.predict(tf.tensor4d(images(4, 4), [4, size, size, 1]), 'train'));
    net.commitStatistics();
    const both = images(2, 5);
    const alone = await tf.tidy(() => net.predict(tf.tensor4d(both.slice(0, size * size), [1, size, size, 1]), 'eval')).data();
    const inPair = await tf.tidy(() => net.predict(tf.tensor4d(both, [2, size, size, 1]), 'eval')).data();
    let worst = 0;
    alone.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - inPair[i]))));
    expect(worst).toBeLessThan(1e-5);
    // while in training the other image changes the statistics, and so the output
    const trainAlone = await tf.tidy(() => net.predict(tf.tensor4d(both.slice(0, size * size), [1, size, size, 1]), 'train')).data();
    const trainPair = await tf.tidy(() => net.predict(tf.tensor4d(both, [2, size, size, 1]), 'train')).data();
    net.discardStatistics();
    expect(Math.abs(trainAlone[100] - trainPair[100])).toBeGreaterThan(1e-4);
    net.dispose();
  });

  it('trains on wasm with the gradients of cpu (every parameter)', async () => {
    const reference = await lossAndGrads('cpu');
    const wasm = await lossAndGrads('wasm');
    expect(Math.abs(wasm.loss - reference.loss) / reference.loss).toBeLessThan(1e-5);
    for (const [name, g] of reference.grads) expect(relativeError(g, wasm.grads.get(name)!), name).toBeLessThan(1e-3);
  }, 120_000);

  it('trains on webgpu with the gradients of cpu (when an adapter exists; software ones included)', async (context) => {
    const probe = await loadBackend('webgpu').catch((error: Error) => error);
    if (probe instanceof Error) {
      console.log(`skipped webgpu parity: ${probe.message}`);
      context.skip();
      return;
    }
    const reference = await lossAndGrads('cpu');
    const gpu = await lossAndGrads('webgpu');
    expect(Math.abs(gpu.loss - reference.loss) / reference.loss).toBeLessThan(1e-3);
    for (const [name, g] of reference.grads) expect(relativeError(g, gpu.grads.get(name)!), name).toBeLessThan(1e-2);
  }, 300_000);
});
