import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multiTaskMse } from '../losses.ts';
import { loadBackend } from '../node/load-backend.ts';
import { Random } from '../random.ts';
import { relativeError } from '../testing/finite-differences.ts';
import { GradientAccumulator } from '../train/gradient-accumulator.ts';
import type { DenseNetwork } from './dense-network.ts';
import { ResNet50Fcn } from './resnet50-fcn.ts';
import { RESNET50_BLOCKS } from './resnet50.ts';
import { UNet } from './unet.ts';

/**
 * A whole-network gradient check. The engine's networks train through hand-written pieces
 * (conv + bias + ReLU and batch normalization as custom gradients, and the per-kernel
 * gradients of src/engine/gradients.ts, which Node needs because tfjs-core ships its own
 * only as ES modules). Here the SSMTL loss (Eq. 1, the sum of per-head MSEs) and the
 * gradient of every parameter, computed as training computes them, are compared on the same
 * weights and batch with two references that share none of that code:
 *
 * 1. TF.js's own autodiff: a forward pass written anew with plain ops (tf.conv2d, tf.add,
 *    tf.relu, tf.maxPool, tf.conv2dTranspose, mean/variance for batch normalization,
 *    tf.image.resizeBilinear, …), differentiated by tf.grads with tfjs-core's own gradient
 *    functions (its ES modules, which vitest can load) in place of the engine's: every
 *    gradient the engine registered is removed for the duration, so a kernel tfjs-core's
 *    set does not cover fails the test instead of quietly using ours.
 * 2. PyTorch (python3-torch, bench/network_gradients_reference.py: the benchmarks' U-Net
 *    and ResNet50-FCN) in float64, loading the same weights and batch from files. Skipped,
 *    with the reason, only where python3 cannot import torch.
 *
 * Tolerances (relative L2 error per parameter tensor, ‖g − g_ref‖ / ‖g_ref‖; a wrong gradient
 * — a transposed filter, a missing term, a wrong scale — is off by O(1)):
 * - Against TF.js's autodiff, both float32 on the same CPU backend, only the order of
 *   float32 operations differs (a fused conv+bias+ReLU vs three ops; batch norm's closed
 *   form backward vs the chain rule through mean and variance). float32 carries ~6e-8 per
 *   operation. The U-Net (no normalization) stays near that: measured 5e-7, bound 1e-5.
 *   The ResNet50-FCN backpropagates through 54 batch normalizations, the deepest over 8
 *   values per channel (2 images × 2×2 at c5), whose backward subtracts nearly equal sums
 *   and divides by small standard deviations: measured 1e-3 on the worst tensor (a
 *   layer1 γ), bound 3e-3.
 * - Against PyTorch in float64 (the truth up to 1e-15): each tensor's error may be at most
 *   twice that of TF.js's own float32 autodiff against the same truth, plus 2e-4 (the
 *   typical float32 error of a tensor here: ResNet50-FCN median 2.4e-4), i.e. the
 *   engine is as accurate as an independent float32 implementation, and never above 1e-2;
 *   the median over tensors below 1e-5 (U-Net) / 1e-3 (ResNet50-FCN). Measured: U-Net
 *   worst 1.1e-6; ResNet50-FCN worst 4.6e-3 where tf.grads has 3.6e-3, median 2.4e-4.
 * - The loss: 1e-5 relative (one float32 forward).
 * Sizes are tiny (U-Net 32², width 2; ResNet50-FCN 64², width 2; batch 2, two heads) so the
 * whole check takes seconds on the CPU backend.
 */
const PYTHON = '/usr/bin/python3';
const REFERENCE = resolve('bench/network_gradients_reference.py');
const torchProblem = (() => {
  if (!existsSync(PYTHON)) return `${PYTHON} is missing`;
  const probe = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  return probe.status === 0 ? null : `python3 cannot import torch (${(probe.stderr || '').trim().split('\n').at(-1)})`;
})();
if (torchProblem) console.warn(`network-gradients: PyTorch comparison skipped: ${torchProblem}`);

const TFJS_TOLERANCE = { unet: 1e-5, 'resnet50-fcn': 3e-3 };
const FLOAT32_SLACK = 2e-4;
const TORCH_CAP = 1e-2;
const TORCH_MEDIAN = { unet: 1e-5, 'resnet50-fcn': 1e-3 };
const LOSS_TOLERANCE = 1e-5;
const HEADS = ['t2-', 't2+'];

/** tfjs-core's own gradient functions for every kernel the reference forwards use. */
const TFJS_GRADIENT_MODULES = [
  'Add',
  'Sub',
  'Multiply',
  'RealDiv',
  'Square',
  'Sqrt',
  'Mean',
  'Sum',
  'Relu',
  'MaxPool',
  'Conv2D',
  'Conv2DBackpropInput',
  'Concat',
  'ResizeBilinear',
  'Reshape',
  'Cast',
  'Identity',
  'Neg',
];
let tfjsGradients: tf.GradConfig[] = [];

interface Case {
  network: 'unet' | 'resnet50-fcn';
  size: number;
  net: DenseNetwork;
  x: tf.Tensor4D;
  y: tf.Tensor4D;
}

function batch(n: number, size: number, channels: number, seed: number): tf.Tensor4D {
  const random = new Random(seed);
  return tf.tensor4d(
    Float32Array.from({ length: n * size * size * channels }, () => random.normal()),
    [n, size, size, channels],
  );
}

/** Random weights for every parameter (biases and batch-norm's γ, β too, so that none is trivially 0 or 1). */
function randomize(net: DenseNetwork, seed: number): void {
  const random = new Random(seed);
  for (const { name, variable } of net.params.entries) {
    const fanIn = variable.shape.length === 4 ? variable.shape[0] * variable.shape[1] * variable.shape[2] : 1;
    const scale = name.endsWith('.gamma') ? 0.5 : variable.shape.length === 4 ? Math.sqrt(2 / fanIn) : 0.1;
    const offset = name.endsWith('.gamma') ? 1 : 0;
    variable.assign(
      tf.tensor(
        Float32Array.from({ length: variable.size }, () => offset + scale * random.normal()),
        variable.shape,
      ),
    );
  }
}

/** What training computes: the production loss and accumulator over the network's own forward. */
async function engineGradients(c: Case): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
  const accumulator = new GradientAccumulator(HEADS.length);
  await accumulator.add(c.net.params.variables, 1, () => {
    const { total, perHead } = multiTaskMse(c.net.predict(c.x, 'train'), c.y);
    return { total, tasks: perHead };
  });
  c.net.discardStatistics();
  const { grads, taskLosses } = accumulator.take();
  const out = new Map<string, Float32Array>();
  for (const [i, { name }] of c.net.params.entries.entries()) out.set(name, grads[i].dataSync() as Float32Array);
  tf.dispose(grads);
  return { loss: taskLosses.reduce((a, b) => a + b, 0), grads: out };
}

type Weights = Record<string, tf.Tensor>;

function unetReference(w: Weights, x: tf.Tensor4D, depth: number): tf.Tensor4D {
  const conv = (h: tf.Tensor4D, name: string) =>
    tf.relu(tf.add(tf.conv2d(h, w[`${name}.w`] as tf.Tensor4D, 1, 'same'), w[`${name}.b`])) as tf.Tensor4D;
  const skips: tf.Tensor4D[] = [];
  let h = x;
  for (let level = 0; level <= depth; level++) {
    h = conv(conv(h, `down${level}.conv1`), `down${level}.conv2`);
    if (level < depth) {
      skips.push(h);
      h = tf.maxPool(h, 2, 2, 'valid');
    }
  }
  for (let level = depth - 1; level >= 0; level--) {
    const [n, rows, cols, channels] = skips[level].shape;
    const up = tf.add(
      tf.conv2dTranspose(h, w[`up${level}.upconv.w`] as tf.Tensor4D, [n, rows, cols, channels], 2, 'same'),
      w[`up${level}.upconv.b`],
    );
    h = conv(conv(tf.concat([skips[level], up as tf.Tensor4D], 3), `up${level}.conv1`), `up${level}.conv2`);
  }
  return heads(w, h);
}

function heads(w: Weights, h: tf.Tensor4D): tf.Tensor4D {
  return tf.concat(
    HEADS.map((name) => tf.add(tf.conv2d(h, w[`head.${name}.w`] as tf.Tensor4D, 1, 'valid'), w[`head.${name}.b`]) as tf.Tensor4D),
    3,
  );
}

/** Batch normalization with the batch's statistics (biased variance, eps 1e-5), from plain ops. */
function batchNorm(h: tf.Tensor4D, w: Weights, name: string): tf.Tensor4D {
  const mean = tf.mean(h, [0, 1, 2]);
  const centered = tf.sub(h, mean);
  const variance = tf.mean(tf.square(centered), [0, 1, 2]);
  return tf.add(tf.mul(tf.div(centered, tf.sqrt(tf.add(variance, 1e-5))), w[`${name}.gamma`]), w[`${name}.beta`]) as tf.Tensor4D;
}

function resnetFcnReference(w: Weights, x: tf.Tensor4D): tf.Tensor4D {
  const convBn = (h: tf.Tensor4D, name: string, stride: number, relu: boolean) => {
    const filter = w[`${name}.w`] as tf.Tensor4D;
    const y = batchNorm(tf.conv2d(h, filter, stride, (filter.shape[0] - 1) / 2), w, `${name}.bn`);
    return relu ? tf.relu(y) : y;
  };
  let h = convBn(x, 'encoder.stem.conv', 2, true);
  h = tf.maxPool(h, 3, 2, 1);
  const outputs: tf.Tensor4D[] = [];
  RESNET50_BLOCKS.forEach((blocks, level) => {
    for (let b = 0; b < blocks; b++) {
      const name = `encoder.layer${level + 1}.${b}`;
      const stride = b === 0 && level > 0 ? 2 : 1;
      const shortcut = b === 0 ? convBn(h, `${name}.downsample`, stride, false) : h;
      const y = convBn(convBn(convBn(h, `${name}.conv1`, 1, true), `${name}.conv2`, stride, true), `${name}.conv3`, 1, false);
      h = tf.relu(tf.add(y, shortcut)) as tf.Tensor4D;
    }
    outputs.push(h);
  });
  const [, c3, c4, c5] = outputs;
  const lateral = (input: tf.Tensor4D, name: string) =>
    tf.add(tf.conv2d(input, w[`decoder.${name}.w`] as tf.Tensor4D, 1, 'valid'), w[`decoder.${name}.b`]) as tf.Tensor4D;
  const up = (input: tf.Tensor4D, like: tf.Tensor4D) => tf.image.resizeBilinear(input, [like.shape[1], like.shape[2]], true);
  const f4 = tf.add(up(lateral(c5, 'lateral5'), c4), lateral(c4, 'lateral4')) as tf.Tensor4D;
  const f3 = tf.add(up(f4, c3), lateral(c3, 'lateral3')) as tf.Tensor4D;
  const fused = tf.relu(batchNorm(tf.conv2d(f3, w['decoder.fuse.w'] as tf.Tensor4D, 1, 1), w, 'decoder.fuse.bn'));
  return tf.image.resizeBilinear(heads(w, fused), [x.shape[1], x.shape[2]], true);
}

/** Runs `work` with tfjs-core's gradient functions only: every registered gradient is set aside, then restored. */
function withTfjsGradients<T>(work: () => T): T {
  const registered = (Object.values(tf) as unknown[]).filter((v): v is string => typeof v === 'string' && tf.getGradient(v) !== undefined);
  const saved = registered.map((name) => tf.getGradient(name) as tf.GradConfig);
  try {
    for (const name of registered) tf.unregisterGradient(name);
    for (const config of tfjsGradients) tf.registerGradient(config);
    return work();
  } finally {
    for (const config of tfjsGradients) if (tf.getGradient(config.kernelName)) tf.unregisterGradient(config.kernelName);
    for (const config of saved) tf.registerGradient(config);
  }
}

function referenceGradients(c: Case): { loss: number; grads: Map<string, Float32Array> } {
  const entries = c.net.params.entries;
  const values = entries.map((e) => tf.clone(e.variable));
  const forward = (...ws: tf.Tensor[]) => {
    const w: Weights = Object.fromEntries(entries.map((e, i) => [e.name, ws[i]]));
    const out = c.network === 'unet' ? unetReference(w, c.x, (c.net as UNet).depth) : resnetFcnReference(w, c.x);
    return tf.sum(tf.mean(tf.square(tf.sub(out, c.y)), [0, 1, 2])) as tf.Scalar;
  };
  const { loss, grads } = withTfjsGradients(() =>
    tf.tidy(() => {
      const { value, grads } = tf.valueAndGrads(forward)(values);
      return { loss: value.dataSync()[0], grads: grads.map((g) => g.dataSync() as Float32Array) };
    }),
  );
  tf.dispose(values);
  return { loss, grads: new Map(entries.map((e, i) => [e.name, grads[i]])) };
}

function torchGradients(c: Case): { loss: number; grads: Map<string, Float64Array> } {
  const dir = mkdtempSync(join(tmpdir(), 'ssmtl-grad-ref-'));
  try {
    const entries = c.net.params.entries;
    const params = entries.map((e) => ({ name: e.name, shape: e.variable.shape }));
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify({ network: c.network, width: 2, headNames: HEADS, size: c.size, batch: c.x.shape[0], params }),
    );
    const bytes = (t: tf.Tensor) => Buffer.from((t.dataSync() as Float32Array).buffer.slice(0));
    writeFileSync(join(dir, 'params.bin'), Buffer.concat(entries.map((e) => bytes(e.variable))));
    writeFileSync(join(dir, 'x.bin'), bytes(c.x));
    writeFileSync(join(dir, 'y.bin'), bytes(c.y));
    const run = spawnSync(PYTHON, [REFERENCE, dir], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
    if (run.status !== 0) throw new Error(`${REFERENCE} failed: ${run.stderr}`);
    const { loss } = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as { loss: number };
    const all = new Float64Array(readFileSync(join(dir, 'grads.bin')).buffer.slice(0));
    const grads = new Map<string, Float64Array>();
    let offset = 0;
    for (const e of entries) {
      grads.set(e.name, all.slice(offset, offset + e.variable.size));
      offset += e.variable.size;
    }
    expect(offset).toBe(all.length);
    return { loss, grads };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The worst parameter, for the failure message. */
function compare(engine: Map<string, Float32Array>, reference: Map<string, ArrayLike<number>>) {
  const errors = [...engine].map(([name, g]) => ({ name, error: relativeError(reference.get(name) as ArrayLike<number>, g) }));
  return errors.sort((a, b) => b.error - a.error);
}

const cases: Record<'unet' | 'resnet50-fcn', Case> = {} as Record<'unet' | 'resnet50-fcn', Case>;

beforeAll(async () => {
  await loadBackend('cpu');
  tfjsGradients = await Promise.all(
    TFJS_GRADIENT_MODULES.map(async (kernel) => {
      const module = (await import(`../../../node_modules/@tensorflow/tfjs-core/dist/gradients/${kernel}_grad.js`)) as Record<
        string,
        unknown
      >;
      const config = Object.values(module).find((v) => (v as tf.GradConfig)?.kernelName === kernel) as tf.GradConfig | undefined;
      if (!config) throw new Error(`tfjs-core has no gradient module for ${kernel}`);
      return config;
    }),
  );
  const unet = new UNet({ width: 2, heads: HEADS.length }, 1, HEADS);
  randomize(unet, 11);
  cases.unet = { network: 'unet', size: 32, net: unet, x: batch(2, 32, 1, 12), y: batch(2, 32, HEADS.length, 13) };
  const fcn = new ResNet50Fcn({ width: 2, heads: HEADS.length }, 2, HEADS);
  randomize(fcn, 21);
  cases['resnet50-fcn'] = { network: 'resnet50-fcn', size: 64, net: fcn, x: batch(2, 64, 1, 22), y: batch(2, 64, HEADS.length, 23) };
}, 120_000);

afterAll(() => {
  for (const c of Object.values(cases)) {
    c.net.dispose();
    tf.dispose([c.x, c.y]);
  }
});

describe.each(['unet', 'resnet50-fcn'] as const)('whole-network gradients of the %s', (network) => {
  it("match TF.js's own autodiff over a forward of plain ops: the loss and every parameter", async () => {
    const c = cases[network];
    const engine = await engineGradients(c);
    const reference = referenceGradients(c);
    expect(Math.abs(engine.loss - reference.loss) / reference.loss).toBeLessThan(LOSS_TOLERANCE);
    expect([...reference.grads.keys()]).toEqual([...engine.grads.keys()]);
    const errors = compare(engine.grads, reference.grads);
    console.log(`${network} vs tf.grads: ${errors.length} parameters, worst ${errors[0].name} ${errors[0].error.toExponential(2)}`);
    expect(errors[0].error, `worst: ${errors[0].name}`).toBeLessThan(TFJS_TOLERANCE[network]);
    // The gradients are not trivially zero.
    for (const [name, g] of engine.grads) expect(Math.hypot(...g), name).toBeGreaterThan(0);
  }, 120_000);

  it.skipIf(torchProblem !== null)(
    'match PyTorch (float64) on the same weights and batch: the loss and every parameter',
    async () => {
      const c = cases[network];
      const engine = await engineGradients(c);
      const reference = torchGradients(c);
      expect(Math.abs(engine.loss - reference.loss) / reference.loss).toBeLessThan(LOSS_TOLERANCE);
      const errors = compare(engine.grads, reference.grads);
      // The float32 floor: TF.js's own autodiff of the plain-op forward against the same float64 truth.
      const floor = new Map(compare(referenceGradients(c).grads, reference.grads).map((e) => [e.name, e.error]));
      console.log(
        `${network} vs PyTorch: ${errors.length} parameters, worst ${errors[0].name} ${errors[0].error.toExponential(2)} ` +
          `(tf.grads: ${(floor.get(errors[0].name) as number).toExponential(2)}), median ${errors[errors.length >> 1].error.toExponential(2)}`,
      );
      for (const { name, error } of errors)
        expect(error, name).toBeLessThan(Math.min(2 * (floor.get(name) as number) + FLOAT32_SLACK, TORCH_CAP));
      expect(errors[errors.length >> 1].error).toBeLessThan(TORCH_MEDIAN[network]);
    },
    120_000,
  );
});
