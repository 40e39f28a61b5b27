import type * as tf from '@tensorflow/tfjs-core';

/**
 * What the project's JavaScript kernels use of tfjs-backend-wasm: outputs allocated on the
 * wasm heap and typed-array views of any tensor there. Views are taken after the last
 * makeOutput of a kernel: growing the heap detaches older views.
 */
export interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

export function isWasmHeapBackend(backend: unknown): backend is WasmHeapBackend {
  const b = backend as Partial<WasmHeapBackend> | null;
  return typeof b?.makeOutput === 'function' && typeof b.typedArrayFromHeap === 'function';
}

/**
 * Copies `count` runs of `run` values from `src` (runs `srcStride` apart, from `srcStart`)
 * to `dst` (runs `dstStride` apart): a plain loop for short runs, where a subarray and a
 * set per run cost more than the copy (a 16-channel NHWC row is 64 bytes).
 */
export function copyRuns(
  src: Float32Array | Int32Array | Uint8Array,
  srcStart: number,
  srcStride: number,
  dst: Float32Array | Int32Array | Uint8Array,
  dstStart: number,
  dstStride: number,
  run: number,
  count: number,
): void {
  if (run >= 64) {
    for (let c = 0; c < count; c++) {
      const s = srcStart + c * srcStride;
      dst.set(src.subarray(s, s + run), dstStart + c * dstStride);
    }
    return;
  }
  for (let c = 0; c < count; c++) {
    const s = srcStart + c * srcStride;
    const d = dstStart + c * dstStride;
    for (let i = 0; i < run; i++) dst[d + i] = src[s + i];
  }
}

/** Calls `visit` with every index of a tensor of shape `dims`, in row-major order. */
export function forEachIndex(dims: number[], visit: (index: number[]) => void): void {
  const count = dims.reduce((a, b) => a * b, 1);
  const index = new Array<number>(dims.length).fill(0);
  for (let i = 0; i < count; i++) {
    visit(index);
    for (let d = dims.length - 1; d >= 0; d--) {
      if (++index[d] < dims[d]) break;
      index[d] = 0;
    }
  }
}
