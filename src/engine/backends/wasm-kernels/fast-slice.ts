import * as tf from '@tensorflow/tfjs-core';
import { copyRuns, type WasmHeapBackend } from './wasm-heap.ts';

/**
 * Slice, SplitV and Concat for the wasm backend that copy straight between views of the
 * wasm heap. The backend's own Slice first copies the whole input out of the heap
 * (readSync) for every slice, which made slicing cost more than the matmuls around it;
 * its Concat copies each run with a subarray and a set, slow for the U-Net's
 * 16-channel rows.
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
  const outer = size.slice(0, last);
  const groups = outer.reduce((a, b) => a * b, 1);
  const index = new Array(last).fill(0);
  let o = 0;
  for (let g = 0; g < groups; g++) {
    let offset = base;
    for (let d = 0; d < last; d++) offset += index[d] * strides[d];
    copyRuns(src, offset, strides[last], dst, o, run, run, size[last]);
    o += run * size[last];
    for (let d = last - 1; d >= 0; d--) {
      if (++index[d] < outer[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

export function registerFastSlicing(backendName: string): void {
  const originalSlice = tf.getKernel(tf.Slice, backendName);
  if (originalSlice) tf.unregisterKernel(tf.Slice, backendName);
  tf.registerKernel({
    kernelName: tf.Slice,
    backendName,
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
      const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
      if (x.dtype === 'string' || s.some((v) => v === 0)) return originalSlice!.kernelFunc(args);
      return sliceInto(args.backend as unknown as WasmHeapBackend, x, b, s);
    },
  });
  const originalSplit = tf.getKernel(tf.SplitV, backendName);
  if (originalSplit) tf.unregisterKernel(tf.SplitV, backendName);
  tf.registerKernel({
    kernelName: tf.SplitV,
    backendName,
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
      if (x.dtype === 'string') return originalSplit!.kernelFunc(args);
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
    },
  });
  const originalConcat = tf.getKernel(tf.Concat, backendName);
  if (originalConcat) tf.unregisterKernel(tf.Concat, backendName);
  tf.registerKernel({
    kernelName: tf.Concat,
    backendName,
    kernelFunc: (args) => {
      const inputs = Object.values(args.inputs) as tf.TensorInfo[];
      const nonEmpty = inputs.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
      if (nonEmpty.length < 2 || nonEmpty[0].dtype === 'string') return originalConcat!.kernelFunc(args);
      const axis = tf.util.parseAxisParam((args.attrs as unknown as { axis: number }).axis, inputs[0].shape)[0];
      return concatInto(args.backend as unknown as WasmHeapBackend, nonEmpty, axis);
    },
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
