import * as tf from '@tensorflow/tfjs-core';
import { replaceKernel } from './replace-kernel.ts';
import { isWasmHeapBackend, type WasmHeapBackend } from './wasm-heap.ts';

/**
 * MaxPoolGrad on views of the wasm heap: each window's gradient goes to its first maximum
 * in row-major order (strict >, NaN never wins), as in the cpu backend's reference; windows
 * that overlap add up. The wasm backend's own
 * kernel took 10–20× longer (about 20 ms per step at the U-Net's first level).
 */
export function maxPoolGradOnHeap(
  backend: WasmHeapBackend,
  dy: tf.TensorInfo,
  x: tf.TensorInfo,
  attrs: {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  },
): tf.TensorInfo {
  const info = tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const { top, left } = info.padInfo;
  const out = backend.makeOutput(x.shape, 'float32');
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  const xs = backend.typedArrayFromHeap(x) as Float32Array;
  const g = backend.typedArrayFromHeap(dy) as Float32Array;
  dx.fill(0);
  for (let b = 0; b < n; b++) {
    for (let yr = 0; yr < oh; yr++) {
      const r0 = Math.max(0, yr * sh - top);
      const r1 = Math.min(h, yr * sh - top + fh);
      for (let yc = 0; yc < ow; yc++) {
        const c0 = Math.max(0, yc * sw - left);
        const c1 = Math.min(w, yc * sw - left + fw);
        const q = ((b * oh + yr) * ow + yc) * c;
        if (r1 - r0 === 2 && c1 - c0 === 2) {
          // A whole 2×2 window (the U-Net's pooling), unrolled.
          const p0 = ((b * h + r0) * w + c0) * c;
          const p2 = p0 + w * c;
          for (let d = 0; d < c; d++) {
            // Strict > in row-major order: the first maximum wins, NaN never does.
            let at = -1;
            let best = -Infinity;
            if (xs[p0 + d] > best) {
              best = xs[p0 + d];
              at = p0 + d;
            }
            if (xs[p0 + c + d] > best) {
              best = xs[p0 + c + d];
              at = p0 + c + d;
            }
            if (xs[p2 + d] > best) {
              best = xs[p2 + d];
              at = p2 + d;
            }
            if (xs[p2 + c + d] > best) at = p2 + c + d;
            if (at >= 0) dx[at] += g[q + d];
          }
          continue;
        }
        for (let d = 0; d < c; d++) {
          let best = -Infinity;
          let at = -1;
          for (let r = r0; r < r1; r++) {
            for (let p = ((b * h + r) * w + c0) * c + d, end = p + (c1 - c0) * c; p < end; p += c) {
              if (xs[p] > best) {
                best = xs[p];
                at = p;
              }
            }
          }
          if (at >= 0) dx[at] += g[q + d];
        }
      }
    }
  }
  return out;
}

export function registerMaxPoolGrad(backendName: string): void {
  replaceKernel(tf.MaxPoolGrad, backendName, (args, original) => {
    const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    if (!isWasmHeapBackend(args.backend) || input.dtype !== 'float32' || dy.dtype !== 'float32' || input.shape.length !== 4)
      return original(args);
    return maxPoolGradOnHeap(args.backend, dy, input, args.attrs as unknown as Parameters<typeof maxPoolGradOnHeap>[3]);
  });
}
