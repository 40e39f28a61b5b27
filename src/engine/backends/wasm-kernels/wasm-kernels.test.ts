import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { loadBackend } from '../../node/load-backend.ts';
import { CONV2D_FILTER_AND_BIAS_GRAD } from '../kernel-names.ts';
import { Random } from '../../random.ts';

/**
 * Each kernel the project registers on wasm (Conv2DBackpropFilter, Conv2DBackpropInput,
 * MaxPoolGrad, Slice, SplitV, Concat, PadV2, and the filter and bias gradients together) against the cpu backend's reference, on shapes the
 * U-Net never uses: padding, stride 2, non-square images and filters, channel counts that
 * are not multiples of 4, ties in max-pooling windows.
 */
type Input = { shape: number[]; values: Float32Array | Int32Array; dtype?: 'float32' | 'int32' };
/** Named inputs, or a list (Concat's). */
type Inputs = Record<string, Input> | Input[];

function normal(shape: number[], seed: number): { shape: number[]; values: Float32Array } {
  const random = new Random(seed);
  return { shape, values: Float32Array.from({ length: tf.util.sizeFromShape(shape) }, () => random.normal()) };
}

async function run(
  backend: 'cpu' | 'wasm',
  kernel: string,
  inputs: Inputs,
  attrs: object,
): Promise<{ shape: number[]; values: number[] }[]> {
  await loadBackend(backend);
  const make = (v: Input) => tf.tensor(v.values, v.shape, v.dtype ?? 'float32');
  const tensors = Array.isArray(inputs) ? inputs.map(make) : Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, make(v)]));
  const out = tf.engine().runKernel(kernel, tensors as tf.NamedTensorMap, attrs as tf.NamedAttrMap);
  const outs = Array.isArray(out) ? out : [out as tf.Tensor];
  const result = [];
  for (const t of outs) result.push({ shape: t.shape, values: Array.from(await t.data()) });
  tf.dispose([...Object.values(tensors), ...outs]);
  return result;
}

async function expectSameOnWasm(kernel: string, inputs: Inputs, attrs: object, tolerance = 1e-5): Promise<void> {
  const reference = await run('cpu', kernel, inputs, attrs);
  expectClose(kernel, await run('wasm', kernel, inputs, attrs), reference, tolerance);
}

function expectClose(kernel: string, got: Awaited<ReturnType<typeof run>>, reference: Awaited<ReturnType<typeof run>>, tolerance = 1e-5) {
  expect(got.length).toBe(reference.length);
  reference.forEach((ref, i) => {
    expect(got[i].shape).toEqual(ref.shape);
    const scale = Math.max(1, ...ref.values.map(Math.abs));
    let worst = 0;
    for (let j = 0; j < ref.values.length; j++) worst = Math.max(worst, Math.abs(got[i].values[j] - ref.values[j]));
    expect(worst / scale, `${kernel} output ${i}`).toBeLessThan(tolerance);
  });
}

const convCases: { name: string; x: number[]; filter: number[]; strides: number | [number, number]; pad: 'same' | 'valid' }[] = [
  { name: '3×3 same, 5 → 7 channels, 9×6', x: [2, 9, 6, 5], filter: [3, 3, 5, 7], strides: 1, pad: 'same' },
  { name: '3×3 valid, 3 → 6 channels', x: [3, 8, 7, 3], filter: [3, 3, 3, 6], strides: 1, pad: 'valid' },
  { name: '2×3 same, 6 → 5 channels', x: [1, 7, 10, 6], filter: [2, 3, 6, 5], strides: 1, pad: 'same' },
  { name: '3×3 stride 2 same, odd size', x: [2, 9, 11, 3], filter: [3, 3, 3, 5], strides: 2, pad: 'same' },
  { name: '3×3 stride (2, 1) valid', x: [2, 10, 7, 5], filter: [3, 3, 5, 3], strides: [2, 1], pad: 'valid' },
  { name: '2×2 stride 2 (the up-convolution), 7 → 3 channels', x: [3, 8, 6, 7], filter: [2, 2, 7, 3], strides: 2, pad: 'valid' },
  { name: '2×2 stride 2, N·H·W = 256 (padded rows)', x: [4, 16, 16, 5], filter: [2, 2, 5, 3], strides: 2, pad: 'valid' },
  { name: '1×1, 6 → 10 channels', x: [2, 5, 9, 6], filter: [1, 1, 6, 10], strides: 1, pad: 'valid' },
];

function convOutShape(c: (typeof convCases)[number]): number[] {
  const info = tf.backend_util.computeConv2DInfo(
    c.x as [number, number, number, number],
    c.filter as [number, number, number, number],
    c.strides,
    1,
    c.pad,
  );
  return info.outShape;
}

describe('wasm training kernels against the cpu backend', () => {
  for (const c of convCases) {
    it(`Conv2DBackpropFilter: ${c.name}`, async () => {
      await expectSameOnWasm(
        tf.Conv2DBackpropFilter,
        { x: normal(c.x, 1), dy: normal(convOutShape(c), 2) },
        { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: c.filter },
      );
    });
    it(`the filter and bias gradients in one kernel: ${c.name}`, async () => {
      const inputs = { x: normal(c.x, 1), dy: normal(convOutShape(c), 2) };
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: c.filter };
      const filter = await run('cpu', tf.Conv2DBackpropFilter, inputs, attrs);
      const bias = await run('cpu', tf.Sum, { x: inputs.dy }, { axis: [0, 1, 2], keepDims: false });
      expectClose(CONV2D_FILTER_AND_BIAS_GRAD, await run('wasm', CONV2D_FILTER_AND_BIAS_GRAD, inputs, attrs), [...filter, ...bias]);
    });
    it(`Conv2DBackpropInput: ${c.name}`, async () => {
      await expectSameOnWasm(
        tf.Conv2DBackpropInput,
        { dy: normal(convOutShape(c), 3), filter: normal(c.filter, 4) },
        { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape: c.x },
      );
    });
  }

  const poolCases: {
    name: string;
    x: number[];
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: 'same' | 'valid';
  }[] = [
    { name: '2×2 stride 2 valid, odd size, 5 channels', x: [2, 9, 7, 5], filterSize: 2, strides: 2, pad: 'valid' },
    { name: '3×3 stride 2 same (overlapping windows)', x: [2, 7, 8, 3], filterSize: 3, strides: 2, pad: 'same' },
    { name: '3×2 stride 1 same', x: [1, 5, 6, 6], filterSize: [3, 2], strides: 1, pad: 'same' },
  ];
  for (const c of poolCases) {
    it(`MaxPoolGrad: ${c.name}, with ties`, async () => {
      // Values in {0, 1, 2} after a ReLU: most windows hold ties, so the position that
      // receives the gradient must follow the reference's rule.
      const random = new Random(9);
      const x = { shape: c.x, values: Float32Array.from({ length: tf.util.sizeFromShape(c.x) }, () => Math.max(0, random.int(4) - 1)) };
      await loadBackend('cpu');
      const y = tf.maxPool(tf.tensor4d(x.values, c.x as [number, number, number, number]), c.filterSize, c.strides, c.pad);
      const output = { shape: y.shape, values: (await y.data()) as Float32Array };
      y.dispose();
      await expectSameOnWasm(
        tf.MaxPoolGrad,
        { dy: normal(output.shape, 5), input: x, output },
        { filterSize: c.filterSize, strides: c.strides, pad: c.pad, dimRoundingMode: undefined },
      );
    });
  }

  it('Slice, SplitV and Concat on every axis, float32 and int32', async () => {
    const x = normal([3, 5, 7, 6], 6);
    const ints = { shape: [4, 3, 5], values: Int32Array.from({ length: 60 }, (_, i) => i * 7 - 100), dtype: 'int32' as const };
    await expectSameOnWasm(tf.Slice, { x }, { begin: [1, 0, 2, 1], size: [2, 5, 4, 3] });
    await expectSameOnWasm(tf.Slice, { x }, { begin: [0, 1, 0, 0], size: [3, 3, 7, 6] });
    await expectSameOnWasm(tf.Slice, { x: ints }, { begin: [1, 1, 0], size: [2, 2, 5] });
    for (let axis = 0; axis < 4; axis++) {
      const sizes = axis === 0 ? [1, 2] : axis === 1 ? [2, 3] : axis === 2 ? [1, 4, 2] : [5, 1];
      await expectSameOnWasm(tf.SplitV, { x }, { numOrSizeSplits: sizes, axis });
      const other = normal(
        x.shape.map((d, i) => (i === axis ? 3 : d)),
        7 + axis,
      );
      await expectSameOnWasm(tf.Concat, [x, other, x], { axis });
    }
    await expectSameOnWasm(tf.Concat, [ints, ints], { axis: 2 });
  });

  it('Identity (tf.clone) shares the memory and frees it with the last tensor that uses it', async () => {
    await loadBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const before = backend.numDataIds();
    const a = tf.tensor([1.5, -2, 3], [3]);
    const b = tf.clone(a);
    expect(backend.numDataIds()).toBe(before + 1);
    a.dispose();
    expect(Array.from(await b.data())).toEqual([1.5, -2, 3]);
    b.dispose();
    expect(backend.numDataIds()).toBe(before);
    const ints = tf.tidy(() => tf.clone(tf.tensor([4, 5], [2], 'int32')));
    expect(Array.from(await ints.data())).toEqual([4, 5]);
    ints.dispose();
  });

  it('PadV2 on any axes, with a constant, float32 and int32', async () => {
    const x = normal([2, 5, 3, 6], 11);
    const ints = { shape: [3, 4], values: Int32Array.from({ length: 12 }, (_, i) => i - 5), dtype: 'int32' as const };
    const pads: [number, number][][] = [
      [
        [0, 0],
        [1, 1],
        [1, 1],
        [0, 0],
      ],
      [
        [0, 0],
        [0, 2],
        [0, 2],
        [0, 0],
      ],
      [
        [0, 0],
        [2, 0],
        [0, 1],
        [3, 1],
      ],
      [
        [1, 2],
        [0, 0],
        [0, 0],
        [0, 0],
      ],
      [
        [0, 0],
        [0, 0],
        [0, 0],
        [0, 0],
      ],
    ];
    for (const paddings of pads) await expectSameOnWasm(tf.PadV2, { x }, { paddings, constantValue: 0 });
    await expectSameOnWasm(tf.PadV2, { x }, { paddings: pads[2], constantValue: 1.5 });
    await expectSameOnWasm(
      tf.PadV2,
      { x: ints },
      {
        paddings: [
          [1, 0],
          [2, 3],
        ],
        constantValue: 7,
      },
    );
  });
});
