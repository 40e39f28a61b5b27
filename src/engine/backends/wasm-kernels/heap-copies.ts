import * as tf from '@tensorflow/tfjs-core';
import { replaceKernel } from './replace-kernel.ts';
import { copyRuns, forEachIndex, type WasmHeapBackend } from './wasm-heap.ts';

/**
 * Slice, SplitV, Concat, PadV2 and Identity for the wasm backend that copy straight between views of
 * the wasm heap. The backend's own Slice first copies the whole input out of the heap
 * (readSync) for every slice, which made slicing cost more than the matmuls around it;
 * its Concat copies each run with a subarray and a set, slow for the U-Net's 16-channel
 * rows; its PadV2 moves one value at a time (~1.7 ns each, against a block copy's ~0.2).
 */
export function sliceInto(backend: WasmHeapBackend, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  // Views only after makeOutput: growing the heap detaches older views.
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const shape = x.shape;
  const rank = shape.length;
  const strides = tf.util.computeStrides(shape);
  // The innermost axes that are taken whole form one contiguous run.
  let inner = rank - 1;
  let run = size[rank - 1];
  while (inner > 0 && size[inner] === shape[inner] && begin[inner] === 0) {
    inner--;
    run *= size[inner];
  }
  let base = 0;
  for (let d = 0; d < rank; d++) base += begin[d] * (d < rank - 1 ? strides[d] : 1);
  if (inner === 0) {
    dst.set(src.subarray(base, base + run));
    return out;
  }
  // Runs along axis inner − 1 in one copyRuns, for every index of axes [0, inner − 1).
  const last = inner - 1;
  let o = 0;
  forEachIndex(size.slice(0, last), (index) => {
    let offset = base;
    for (let d = 0; d < last; d++) offset += index[d] * strides[d];
    copyRuns(src, offset, strides[last], dst, o, run, run, size[last]);
    o += run * size[last];
  });
  return out;
}

export function registerHeapCopies(backendName: string): void {
  replaceKernel(tf.Slice, backendName, (args, original) => {
    const x = args.inputs.x as tf.TensorInfo;
    const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
    const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
    if (x.dtype === 'string' || s.some((v) => v === 0)) return original(args);
    return sliceInto(args.backend as unknown as WasmHeapBackend, x, b, s);
  });
  replaceKernel(tf.SplitV, backendName, (args, original) => {
    const x = args.inputs.x as tf.TensorInfo;
    const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    if (x.dtype === 'string') return original(args);
    const $axis = tf.util.parseAxisParam(axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, $axis);
    const begin = new Array(x.shape.length).fill(0);
    return sizes.map((s) => {
      const size = [...x.shape];
      size[$axis] = s;
      const out = sliceInto(args.backend as unknown as WasmHeapBackend, x, [...begin], size);
      begin[$axis] += s;
      return out;
    });
  });
  replaceKernel(tf.Concat, backendName, (args, original) => {
    const inputs = Object.values(args.inputs) as tf.TensorInfo[];
    const nonEmpty = inputs.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
    if (nonEmpty.length < 2 || nonEmpty[0].dtype === 'string') return original(args);
    const axis = tf.util.parseAxisParam((args.attrs as unknown as { axis: number }).axis, inputs[0].shape)[0];
    return concatInto(args.backend as unknown as WasmHeapBackend, nonEmpty, axis);
  });
  // Identity (tfjs's clone, which customGrad's save() calls on every activation it keeps)
  // shares the input's memory, as the backend's Reshape does, instead of copying it: no
  // kernel writes into an existing tensor, so a shared buffer cannot change under it.
  replaceKernel(tf.Identity, backendName, (args, original) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return original(args);
    (args.backend as unknown as { incRef(id: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  });
  replaceKernel(tf.PadV2, backendName, (args, original) => {
    const x = args.inputs.x as tf.TensorInfo;
    const { paddings, constantValue } = args.attrs as unknown as { paddings: [number, number][]; constantValue: number };
    if (x.dtype === 'string' || x.dtype === 'complex64' || tf.util.sizeFromShape(x.shape) === 0) return original(args);
    return padInto(args.backend as unknown as WasmHeapBackend, x, paddings, constantValue);
  });
}

/** Concatenation along `axis`: each input's runs copied into place, one input at a time. */
function concatInto(backend: WasmHeapBackend, inputs: tf.TensorInfo[], axis: number): tf.TensorInfo {
  const shapes = inputs.map((t) => t.shape);
  tf.backend_util.assertParamsConsistent(shapes, axis);
  const out = backend.makeOutput(tf.backend_util.computeOutShape(shapes, axis), inputs[0].dtype);
  const dst = backend.typedArrayFromHeap(out);
  const outer = tf.util.sizeFromShape(inputs[0].shape.slice(0, axis));
  const runs = inputs.map((t) => tf.util.sizeFromShape(t.shape.slice(axis)));
  const total = runs.reduce((a, b) => a + b, 0);
  let offset = 0;
  inputs.forEach((t, i) => {
    copyRuns(backend.typedArrayFromHeap(t), 0, runs[i], dst, offset, total, runs[i], outer);
    offset += runs[i];
  });
  return out;
}

/** Constant padding: the output filled with the constant, then the input's rows copied in. */
export function padInto(backend: WasmHeapBackend, x: tf.TensorInfo, paddings: [number, number][], value: number): tf.TensorInfo {
  const shape = x.shape;
  const rank = shape.length;
  const outShape = shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
  const out = backend.makeOutput(outShape, x.dtype);
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  dst.fill(value);
  // The innermost unpadded axes form one contiguous run in both.
  let inner = rank - 1;
  let run = shape[rank - 1];
  while (inner > 0 && paddings[inner][0] === 0 && paddings[inner][1] === 0) {
    inner--;
    run *= shape[inner];
  }
  const outStrides = tf.util.computeStrides(outShape);
  if (inner === 0) {
    dst.set(src, paddings[0][0] * (rank > 1 ? outStrides[0] : 1));
    return out;
  }
  // For every index of axes [0, inner): one run, at its padded place.
  const rowStride = inner < rank - 1 ? outStrides[inner] : 1;
  const lastOuter = inner - 1;
  let s = 0;
  forEachIndex(shape.slice(0, lastOuter), (index) => {
    let offset = paddings[inner][0] * rowStride;
    for (let d = 0; d < lastOuter; d++) offset += (index[d] + paddings[d][0]) * outStrides[d];
    offset += paddings[lastOuter][0] * outStrides[lastOuter];
    copyRuns(src, s, run, dst, offset, outStrides[lastOuter], run, shape[lastOuter]);
    s += run * shape[lastOuter];
  });
  return out;
}
