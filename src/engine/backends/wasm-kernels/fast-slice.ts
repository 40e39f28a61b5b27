import * as tf from '@tensorflow/tfjs-core';

/**
 * Slice and SplitV for the wasm backend that copy straight between views of the wasm heap.
 * The backend's own Slice first copies the whole input out of the heap (readSync) for
 * every slice, which made slicing cost more than the matmuls around it.
 */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

export function sliceInto(backend: WasmBackendLike, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
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
  // Copy `run` values for every index of axes [0, inner).
  const outer = size.slice(0, inner);
  const count = outer.reduce((a, b) => a * b, 1);
  const index = new Array(inner).fill(0);
  let base = 0;
  for (let d = 0; d < rank; d++) base += begin[d] * (d < rank - 1 ? strides[d] : 1);
  let o = 0;
  for (let c = 0; c < count; c++) {
    let offset = base;
    for (let d = 0; d < inner; d++) offset += index[d] * strides[d];
    dst.set(src.subarray(offset, offset + run), o);
    o += run;
    for (let d = inner - 1; d >= 0; d--) {
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
      return sliceInto(args.backend as unknown as WasmBackendLike, x, b, s);
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
        const out = sliceInto(args.backend as unknown as WasmBackendLike, x, [...begin], size);
        begin[$axis] += s;
        return out;
      });
    },
  });
}
