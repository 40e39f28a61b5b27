// Times the training kernels of the wasm backend one by one at the U-Net's shapes (forward
// FusedConv2D with bias + ReLU, Conv2DBackpropFilter, Conv2DBackpropInput, the 2×2
// stride-2 up-convolution both ways, MaxPool and its gradient) and prints each one's
// CPU milliseconds per call and GFLOP/s, so a kernel change is measured alone.
//
//   npx tsx bench/wasm-kernels.ts [--size 128] [--width 16] [--batch 4] [--cpu-ms 300] [--only filter,input,forward,up,pool]
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import '../src/engine/gradients.ts';
import { loadBackend } from '../src/engine/node/load-backend.ts';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '128' },
    width: { type: 'string', default: '16' },
    batch: { type: 'string', default: '4' },
    'cpu-ms': { type: 'string', default: '300' },
    only: { type: 'string', default: 'forward,filter,input,up,pool,small' },
  },
});
const size = Number(values.size);
const width = Number(values.width);
const n = Number(values.batch);
const cpuBudgetMs = Number(values['cpu-ms']);
const only = new Set(values.only.split(','));

await loadBackend('wasm');

/**
 * Milliseconds of this process's CPU time per call of `f`, averaged over as many calls as
 * fill `cpuBudgetMs` (after one warm-up call). CPU time rather than wall time: on a machine
 * shared with other work the wall time counts the waits for a core, and the kernel's CPU
 * time (accounted in scheduler ticks, hence the long average) does not.
 */
function best(f: () => tf.Tensor | tf.Tensor[]): number {
  // The wasm backend runs each kernel when it is called; nothing is read back (a read
  // copies the output into fresh JavaScript memory, whose page faults cost more than
  // most kernels here).
  const once = () =>
    tf.tidy(() => {
      f();
    });
  once();
  const start = process.cpuUsage();
  let calls = 0;
  let usedUs = 0;
  while (calls < 3 || usedUs < cpuBudgetMs * 1000) {
    once();
    calls++;
    const used = process.cpuUsage(start);
    usedUs = used.user + used.system;
  }
  return usedUs / 1000 / calls;
}

interface Row {
  op: string;
  shape: string;
  ms: number;
  gflops: number;
}
const rows: Row[] = [];
const totals = new Map<string, number>();
function record(op: string, shape: string, ms: number, flop: number): void {
  rows.push({ op, shape, ms, gflops: flop / ms / 1e6 });
  totals.set(op, (totals.get(op) ?? 0) + ms);
}

const conv3 = (s: number, ci: number, co: number) => ({ s, ci, co });
const layers: { s: number; ci: number; co: number }[] = [];
let c = width;
let s = size;
layers.push(conv3(s, 1, c), conv3(s, c, c));
for (let level = 1; level <= 4; level++) {
  s /= 2;
  layers.push(conv3(s, c, 2 * c), conv3(s, 2 * c, 2 * c));
  c *= 2;
}
const ups: { s: number; cin: number; cout: number }[] = [];
for (let level = 3; level >= 0; level--) {
  const sl = size >> level;
  const cl = width << level;
  layers.push(conv3(sl, 2 * cl, cl), conv3(sl, cl, cl));
  ups.push({ s: sl, cin: 2 * cl, cout: cl });
}

const filterGrad = (x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: number[], strides: number) =>
  tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, {
    strides,
    pad: 'same',
    dataFormat: 'NHWC',
    dimRoundingMode: undefined,
    filterShape,
  } as unknown as tf.NamedAttrMap) as tf.Tensor;
const inputGrad = (inputShape: number[], dy: tf.Tensor4D, filter: tf.Tensor4D, strides: number) =>
  tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, {
    strides,
    pad: 'same',
    dataFormat: 'NHWC',
    dimRoundingMode: undefined,
    inputShape,
  } as unknown as tf.NamedAttrMap) as tf.Tensor;
const rand = (shape: number[]) => tf.randomNormal(shape, 0, 1, 'float32', 7);
for (const { s, ci, co } of layers) {
  const x = rand([n, s, s, ci]) as tf.Tensor4D;
  const w = rand([3, 3, ci, co]) as tf.Tensor4D;
  const b = rand([co]) as tf.Tensor1D;
  const dy = rand([n, s, s, co]) as tf.Tensor4D;
  const flop = 2 * n * s * s * 9 * ci * co;
  const shape = `${s}² ${ci}→${co}`;
  if (only.has('forward'))
    record(
      'forward',
      shape,
      best(() => tf.fused.conv2d({ x, filter: w, bias: b, strides: 1, pad: 'same', activation: 'relu' })),
      flop,
    );
  if (only.has('filter'))
    record(
      'filter',
      shape,
      best(() => filterGrad(x, dy, [3, 3, ci, co], 1)),
      flop,
    );
  if (only.has('input') && ci > 1)
    record(
      'input',
      shape,
      best(() => inputGrad([n, s, s, ci], dy, w, 1)),
      flop,
    );
  if (only.has('small')) {
    const y = tf.relu(dy);
    record(
      'relu+bias grads',
      shape,
      best(() => {
        const g = tf.mul(dy, tf.step(y));
        return [g, tf.sum(g, [0, 1, 2])];
      }),
      0,
    );
    y.dispose();
  }
  tf.dispose([x, w, b, dy]);
}
for (const { s, cin, cout } of ups) {
  // conv2dTranspose from (s/2)², cin channels to s², cout: its filter is [2, 2, cout, cin].
  const h = rand([n, s / 2, s / 2, cin]) as tf.Tensor4D;
  const w = rand([2, 2, cout, cin]) as tf.Tensor4D;
  const dy = rand([n, s, s, cout]) as tf.Tensor4D;
  const flop = 2 * n * (s / 2) * (s / 2) * 4 * cin * cout;
  const shape = `${s / 2}²→${s}² ${cin}→${cout}`;
  if (only.has('up')) {
    record(
      'up forward',
      shape,
      best(() => tf.conv2dTranspose(h, w, [n, s, s, cout], 2, 'same')),
      flop,
    );
    record(
      'up filter',
      shape,
      best(() => filterGrad(dy, h, [2, 2, cout, cin], 2)),
      flop,
    );
    record(
      'up input',
      shape,
      best(() => tf.conv2d(dy, w, 2, 'same')),
      flop,
    );
  }
  tf.dispose([h, w, dy]);
}
if (only.has('pool') || only.has('small')) {
  for (let level = 0; level < 4; level++) {
    const sl = size >> level;
    const cl = width << level;
    const x = rand([n, sl, sl, cl]) as tf.Tensor4D;
    const shape = `${sl}² ${cl}`;
    record(
      'maxPool',
      shape,
      best(() => tf.maxPool(x, 2, 2, 'valid')),
      0,
    );
    record(
      'maxPool grad',
      shape,
      best(() => tf.grad((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid'))(x)),
      0,
    );
    const skip = rand([n, sl, sl, cl]);
    record(
      'concat',
      shape,
      best(() => tf.concat([skip, x], 3)),
      0,
    );
    const both = tf.concat([skip, x], 3);
    record(
      'split',
      shape,
      best(() => tf.split(both, [cl, cl], 3)),
      0,
    );
    tf.dispose([x, skip, both]);
  }
}

for (const r of rows)
  console.log(
    `${r.op.padEnd(16)} ${r.shape.padEnd(20)} ${r.ms.toFixed(2).padStart(8)} ms ${r.gflops ? `${r.gflops.toFixed(1).padStart(6)} GFLOP/s` : ''}`,
  );
console.log('totals (ms):', Object.fromEntries([...totals].map(([k, v]) => [k, Math.round(v * 10) / 10])));
