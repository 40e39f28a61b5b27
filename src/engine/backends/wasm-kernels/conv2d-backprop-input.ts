import * as tf from '@tensorflow/tfjs-core';
import { KernelCalls, type Info } from './kernel-calls.ts';

/**
 * Conv2DBackpropInput (the gradient of conv2d w.r.t. its input, and the forward pass of a
 * transposed convolution) on fast kernels. The wasm backend's own is a scalar loop and
 * was about 60 % of a U-Net training step (DESIGN.md).
 *
 * - stride 1: a forward Conv2D of dy with the filter rotated by 180° and its in/out
 *   channels swapped, padded by (k − 1 − p) — runs on XNNPACK's convolution.
 * - kernel == stride, no padding (the U-Net's 2×2 stride-2 up-convolution): one 1×1
 *   convolution Co → s·s·Ci and a pixel shuffle.
 * Anything else goes to the backend's own kernel (`fallback`).
 */
export function conv2dBackpropInputFast(
  args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap },
  backendName: string,
  fallback: tf.KernelFunc | undefined,
): Info {
  const { inputs, backend } = args;
  const attrs = (args.attrs ?? {}) as unknown as {
    strides: number | [number, number];
    pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
    dataFormat: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    inputShape: [number, number, number, number];
  };
  const dy = inputs.dy as Info;
  const filter = inputs.filter as Info;
  const useFallback = () => {
    if (!fallback) throw new Error(`${backendName}: Conv2DBackpropInput for this configuration is not supported`);
    return fallback(args as tf.KernelFunc extends (a: infer A) => unknown ? A : never) as Info;
  };
  if (attrs.dataFormat === 'NCHW') return useFallback();
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape,
    filter.shape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const [n, inH, inW, ci] = attrs.inputShape;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow, outChannels: co } = info;
  const { top, bottom, left, right } = info.padInfo;
  const calls = new KernelCalls(backend, backendName);
  try {
    if (sh === 1 && sw === 1) {
      const pt = kh - 1 - top;
      const pb = kh - 1 - bottom;
      const pl = kw - 1 - left;
      const pr = kw - 1 - right;
      if (pt < 0 || pb < 0 || pl < 0 || pr < 0) return useFallback();
      const swapped = rotatedFilter(calls, filter);
      const dx = calls.call(
        tf.Conv2D,
        { x: dy, filter: swapped },
        {
          strides: [1, 1],
          pad: [
            [0, 0],
            [pt, pb],
            [pl, pr],
            [0, 0],
          ],
          dataFormat: 'NHWC',
          dilations: [1, 1],
          dimRoundingMode: undefined,
        },
      );
      return calls.finish(dx);
    }
    if (kh === sh && kw === sw && top === 0 && bottom === 0 && left === 0 && right === 0 && inH === oh * sh && inW === ow * sw) {
      // A 1×1 convolution: XNNPACK's conv is several times faster than its matmul when the
      // row count (N·H·W) is large and the inner dimension small.
      const wt = calls.transpose(filter, [3, 0, 1, 2]);
      const w1 = calls.reshape(wt, [1, 1, co, kh * kw * ci]);
      const cols = calls.call(
        tf.Conv2D,
        { x: dy, filter: w1 },
        { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined },
      );
      const six = calls.reshape(cols, [n, oh, ow, kh, kw, ci]);
      const shuffled = calls.transpose(six, [0, 1, 3, 2, 4, 5]);
      return calls.finish(calls.reshape(shuffled, [n, inH, inW, ci]));
    }
    calls.abort();
    return useFallback();
  } catch (error) {
    calls.abort();
    throw error;
  }
}

/**
 * The filter rotated by 180° with its channels swapped, [kh, kw, ci, co] → [kh, kw, co, ci],
 * in one pass over the wasm heap: the backend's Reverse and Transpose took ~30 ns a value,
 * about 50 ms of a 128/16/4 U-Net step.
 */
function rotatedFilter(calls: KernelCalls, filter: Info): Info {
  const heap = calls.heap;
  if (!heap || filter.dtype !== 'float32') return calls.transpose(calls.call(tf.Reverse, { x: filter }, { dims: [0, 1] }), [0, 1, 3, 2]);
  const [kh, kw, ci, co] = filter.shape;
  const out = calls.output([kh, kw, co, ci]);
  const src = heap.typedArrayFromHeap(filter) as Float32Array;
  const dst = heap.typedArrayFromHeap(out) as Float32Array;
  const block = ci * co;
  for (let a = 0; a < kh; a++) {
    for (let b = 0; b < kw; b++) {
      const s = ((kh - 1 - a) * kw + (kw - 1 - b)) * block;
      const d = (a * kw + b) * block;
      for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) dst[d + o * ci + i] = src[s + i * co + o];
    }
  }
  return out;
}
