import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import '../gradients.ts';
import { multiTaskMse } from '../losses.ts';
import { UNet } from '../networks/unet.ts';
import { Random } from '../random.ts';
import { loadBackend } from './load-backend.ts';

/**
 * Gradient parity of each backend against `cpu`, the reference: the loss and the gradient
 * of every U-Net parameter (with the registered wasm kernels in the path: Conv2DBackprop-
 * Filter, Conv2DBackpropInput as conv / 1×1 conv, heap-view Slice and SplitV).
 */
const size = 32;
const batch = 3;

async function lossAndGrads(
  backend: 'cpu' | 'wasm' | 'webgpu' | 'tensorflow',
): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
  await loadBackend(backend);
  const net = new UNet({ width: 4, heads: 4 }, 11);
  const random = new Random(5);
  const x = Float32Array.from({ length: batch * size * size }, () => random.normal());
  const y = Float32Array.from({ length: batch * size * size * 4 }, () => random.normal());
  const vars = net.params.variables;
  const { value, grads } = tf.variableGrads(() => {
    const input = tf.tensor4d(x, [batch, size, size, 1]);
    return multiTaskMse(net.predict(input), tf.tensor4d(y, [batch, size, size, 4])).total;
  }, vars);
  const out = new Map<string, Float32Array>();
  for (const { name, variable } of net.params.entries) out.set(name, (await grads[variable.name].data()) as Float32Array);
  const loss = (await value.data())[0];
  tf.dispose([value, ...Object.values(grads)]);
  net.dispose();
  return { loss, grads: out };
}

function expectClose(
  reference: Awaited<ReturnType<typeof lossAndGrads>>,
  other: Awaited<ReturnType<typeof lossAndGrads>>,
  tolerance: number,
): void {
  expect(Math.abs(other.loss - reference.loss) / reference.loss).toBeLessThan(1e-4);
  for (const [name, ref] of reference.grads) {
    const got = other.grads.get(name)!;
    let num = 0;
    let den = 0;
    for (let i = 0; i < ref.length; i++) {
      num += (got[i] - ref[i]) ** 2;
      den += ref[i] ** 2;
    }
    const relative = Math.sqrt(num / Math.max(den, 1e-30));
    expect(relative, `gradient of ${name}`).toBeLessThan(tolerance);
  }
}

describe('gradient parity with the cpu backend', () => {
  it('wasm', async () => {
    const reference = await lossAndGrads('cpu');
    expectClose(reference, await lossAndGrads('wasm'), 1e-4);
  });

  it('webgpu (when an adapter exists; software ones included)', async (context) => {
    const probe = await loadBackend('webgpu').catch((error: Error) => error);
    if (probe instanceof Error) {
      console.log(`skipped webgpu parity: ${probe.message}`);
      context.skip();
      return;
    }
    console.log(`webgpu parity on ${probe.description}`);
    const reference = await lossAndGrads('cpu');
    expectClose(reference, await lossAndGrads('webgpu'), 1e-3);
  }, 120_000);

  it('tensorflow (when @tensorflow/tfjs-node or -gpu is installed)', async (context) => {
    const probe = await loadBackend('tensorflow').catch((error: Error) => error);
    if (probe instanceof Error) {
      console.log(`skipped tensorflow parity: ${probe.message.split('.')[0]}`);
      context.skip();
      return;
    }
    const reference = await lossAndGrads('cpu');
    expectClose(reference, await lossAndGrads('tensorflow'), 1e-3);
  }, 120_000);
});
