import * as tf from '@tensorflow/tfjs-core';
import { KernelCalls, type Info } from './kernel-calls.ts';

/**
 * Conv2DBackpropFilter for backends that lack it (tfjs-backend-wasm) or whose own is slow,
 * built from kernels that run on XNNPACK's fast paths (matmul without transposeA).
 *
 * dW[a, b, ci, co] = Σ_{n,i,j} x_pad[n, i·s + a, j·s + b, ci] · dy[n, i, j, co]
 *
 * - kernel == stride, no padding (the U-Net's 2×2 stride-2 up-convolution): one matmul of
 *   x un-shuffled into (s·s·Ci, N·H·W) with dy as (N·H·W, Co) (`strideTiles`; elsewhere than
 *   on wasm, dyᵀ with x un-shuffled into (N·H·W, s·s·Ci)).
 * - otherwise: the input is transposed once to (Ci, N, H, W); the kh·kw (strided) tap
 *   slices of it are stacked into a (kh·kw·Ci, N·H·W) column matrix and multiplied by dy
 *   as (N·H·W, Co) — one large matmul (XNNPACK does small-M matmuls poorly), with no
 *   transposeA (which would take a scalar loop), in chunks of images to bound memory.
 */
export function conv2dBackpropFilterMatmul(
  args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap },
  backendName: string,
  maxColumnBytes = 96 * 1024 * 1024,
): Info {
  return filterGradients(args, backendName, false, maxColumnBytes)[0];
}

/**
 * CONV2D_FILTER_AND_BIAS_GRAD: the filter gradient and Σ_{n,i,j} dy (the gradient of a
 * bias added after the convolution). On the stride-1 path the bias gradient is one more
 * matmul with the dy XNNPACK has already packed, 1 × (N·Hp·Wp) ones by dy: far cheaper than
 * the backend's Sum over N, H and W (a transpose to rows of N·H·W values first).
 */
export function conv2dBackpropFilterAndBias(
  args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap },
  backendName: string,
): Info[] {
  return filterGradients(args, backendName, true);
}

function filterGradients(
  args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap },
  backendName: string,
  withBias: boolean,
  maxColumnBytes = 96 * 1024 * 1024,
): Info[] {
  const { inputs, backend } = args;
  const attrs = (args.attrs ?? {}) as unknown as {
    strides: number | [number, number];
    pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
    dataFormat: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
  };
  const x = inputs.x as Info;
  const dy = inputs.dy as Info;
  if (attrs.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter: only NHWC is supported');
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const [n, inH, inW, ci] = x.shape;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow, outChannels: co } = info;
  const { top, bottom, left, right } = info.padInfo;
  const calls = new KernelCalls(backend, backendName);
  // The outputs: dW, and with `withBias` Σ dy over N, H, W (computed here unless given).
  const done = (dW: Info, db?: Info): Info[] =>
    calls.finishAll(withBias ? [dW, db ?? calls.call(tf.Sum, { x: dy }, { axis: [0, 1, 2], keepDims: false })] : [dW]);
  try {
    const m = n * oh * ow;
    if (kh === sh && kw === sw && top === 0 && bottom === 0 && left === 0 && right === 0 && inH === oh * sh && inW === ow * sw) {
      if (calls.heap) return done(strideTiles(calls, x, dy, { n, sh, sw, ci, co, oh, ow }));
      // Un-shuffle x to (N·H·W, s·s·Ci) — a transpose that moves runs of s·Ci contiguous
      // values — and contract with dyᵀ (the smaller tensor is the one transposed).
      const x6 = calls.reshape(x, [n, oh, sh, ow, sw, ci]);
      const cols = calls.reshape(calls.transpose(x6, [0, 1, 3, 2, 4, 5]), [m, sh * sw * ci]);
      const dyT = calls.transpose(calls.reshape(dy, [m, co]), [1, 0]);
      const r = calls.reshape(calls.matMul(dyT, cols), [co, sh, sw, ci]);
      return done(calls.transpose(r, [1, 2, 3, 0]));
    }
    if (sh === 1 && sw === 1) {
      const [dW, db] = shiftedRows(calls, x, dy, { n, kh, kw, ci, co, oh, ow, top, bottom, left, right }, withBias);
      return done(dW, db);
    }
    // im2col, transposed: rows (tap, ci), columns (n, i, j); one matmul per chunk of images
    // with dy as (N·H·W, Co). Chunks keep the column matrix under `maxColumnBytes`.
    const padded =
      top || bottom || left || right
        ? calls.call(
            tf.PadV2,
            { x },
            {
              paddings: [
                [0, 0],
                [top, bottom],
                [left, right],
                [0, 0],
              ],
              constantValue: 0,
            },
          )
        : x;
    const xt = calls.transpose(padded, [3, 0, 1, 2]);
    if (padded !== x) calls.free(padded);
    const dy2 = calls.reshape(dy, [m, co]);
    const perImage = kh * kw * ci * oh * ow * 4;
    const chunk = Math.max(1, Math.min(n, Math.floor(maxColumnBytes / perImage)));
    let acc: Info | null = null;
    for (let n0 = 0; n0 < n; n0 += chunk) {
      const nc = Math.min(chunk, n - n0);
      const rows: Info[] = [];
      for (let a = 0; a < kh; a++) {
        for (let b = 0; b < kw; b++) {
          const patch =
            sh === 1 && sw === 1
              ? calls.call(tf.Slice, { x: xt }, { begin: [0, n0, a, b], size: [ci, nc, oh, ow] })
              : calls.call(
                  tf.StridedSlice,
                  { x: xt },
                  {
                    begin: [0, n0, a, b],
                    end: [ci, n0 + nc, a + (oh - 1) * sh + 1, b + (ow - 1) * sw + 1],
                    strides: [1, 1, sh, sw],
                    beginMask: 0,
                    endMask: 0,
                    ellipsisMask: 0,
                    newAxisMask: 0,
                    shrinkAxisMask: 0,
                  },
                );
          rows.push(calls.reshape(patch, [ci, nc * oh * ow]));
          calls.free(patch);
        }
      }
      const columns = rows.length === 1 ? rows[0] : calls.call(tf.Concat, rows as unknown as Record<string, Info>, { axis: 0 });
      if (rows.length > 1) calls.free(...rows);
      const dyc = nc === n ? dy2 : calls.call(tf.Slice, { x: dy2 }, { begin: [n0 * oh * ow, 0], size: [nc * oh * ow, co] });
      const part = calls.matMul(columns, dyc);
      calls.free(columns);
      if (dyc !== dy2) calls.free(dyc);
      if (acc === null) acc = part;
      else {
        const sum = calls.call(tf.Add, { a: acc, b: part });
        calls.free(acc, part);
        acc = sum;
      }
    }
    return done(calls.reshape(acc as Info, [kh, kw, ci, co]));
  } catch (error) {
    calls.abort();
    throw error;
  }
}

/**
 * Stride 1, no column matrix at all: with x padded to (N, Hp, Wp, Ci) and dy zero-padded
 * to the same grid, a filter tap (a, b) pairs dy's flat row p with x's flat row
 * p + a·Wp + b, so with x transposed once to (Ci, N·Hp·Wp) each tap is a column range:
 *   dW[a, b] = xᵀ[:, off : off + L] · dy[0 : L],  off = a·Wp + b,  L = N·Hp·Wp − max off.
 * The zero rows of the padded dy make the pairs that wrap across a row or an image vanish.
 * On wasm the column ranges are views of one buffer (no copies, K = N·Hp·Wp).
 * dy is the matmul's right operand for every tap, so XNNPACK packs it once (its operator
 * cache is keyed by that tensor) — several times faster than packing each tap.
 */
function shiftedRows(
  calls: KernelCalls,
  x: Info,
  dy: Info,
  d: {
    n: number;
    kh: number;
    kw: number;
    ci: number;
    co: number;
    oh: number;
    ow: number;
    top: number;
    bottom: number;
    left: number;
    right: number;
  },
  withBias: boolean,
): [Info, Info | undefined] {
  const { n, kh, kw, ci, co, oh, ow, top, bottom, left, right } = d;
  const hp = x.shape[1] + top + bottom;
  const wp = x.shape[2] + left + right;
  const padded =
    top || bottom || left || right
      ? calls.call(
          tf.PadV2,
          { x },
          {
            paddings: [
              [0, 0],
              [top, bottom],
              [left, right],
              [0, 0],
            ],
            constantValue: 0,
          },
        )
      : x;
  const total = n * hp * wp;
  const xT = calls.transpose(calls.reshape(padded, [total, ci]), [1, 0]);
  if (padded !== x) calls.free(padded);
  const dyPadded =
    hp !== oh || wp !== ow
      ? calls.call(
          tf.PadV2,
          { x: dy },
          {
            paddings: [
              [0, 0],
              [0, hp - oh],
              [0, wp - ow],
              [0, 0],
            ],
            constantValue: 0,
          },
        )
      : dy;
  const maxOff = (kh - 1) * wp + (kw - 1);
  const dy2 = calls.reshape(dyPadded, [total, co]);
  const taps: Info[] = [];
  const heap = calls.heap;
  if (heap) {
    // Each tap's operand is a view of xᵀ starting `off` values in, (Ci, N·Hp·Wp): a row's
    // last `off` values run into the next row's first, which meet dy's zero rows (and the
    // last row's run into `maxOff` zeros), so no tap needs a copy.
    const flat = calls.output([ci * total + maxOff]);
    const values = heap.typedArrayFromHeap(flat) as Float32Array;
    values.set(heap.typedArrayFromHeap(xT) as Float32Array);
    values.fill(0, ci * total);
    calls.free(xT);
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        const cols = calls.view(flat, a * wp + b, [ci, total])!;
        taps.push(calls.reshape(calls.matMul(cols, dy2), [1, ci, co]));
        calls.free(cols);
      }
    }
  } else {
    const span = total - maxOff;
    const dyRows = span === total ? dy2 : calls.call(tf.Slice, { x: dy2 }, { begin: [0, 0], size: [span, co] });
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        const off = a * wp + b;
        const cols = off === 0 && span === total ? xT : calls.call(tf.Slice, { x: xT }, { begin: [0, off], size: [ci, span] });
        taps.push(calls.reshape(calls.matMul(cols, dyRows), [1, ci, co]));
        if (cols !== xT) calls.free(cols);
      }
    }
  }
  let db: Info | undefined;
  if (withBias && heap) {
    // dy's zero rows add nothing; dy2 is packed already (the taps' right operand).
    const ones = calls.output([1, total]);
    (heap.typedArrayFromHeap(ones) as Float32Array).fill(1);
    db = calls.reshape(calls.matMul(ones, dy2), [co]);
  }
  const stacked = taps.length === 1 ? taps[0] : calls.call(tf.Concat, taps as unknown as Record<string, Info>, { axis: 0 });
  return [calls.reshape(stacked, [kh, kw, ci, co]), db];
}

/**
 * Kernel == stride, no padding: every input pixel belongs to one tap, so
 *   dW = colsᵀ · dy,  colsᵀ[(a, b, ci), (n, i, j)] = x[n, i·sh + a, j·sw + b, ci],
 * with colsᵀ written by one JavaScript pass over x and dy, unchanged, as the right operand
 * (the one XNNPACK packs: dy has fewer columns than cols, and packing costs per column).
 * Rows of colsᵀ are padded when N·H·W is a multiple of 256: a row stride of a multiple of
 * 1 KiB makes the rows share cache sets (a transpose to 16384-value rows ran 15× slower).
 */
function strideTiles(
  calls: KernelCalls,
  x: Info,
  dy: Info,
  d: { n: number; sh: number; sw: number; ci: number; co: number; oh: number; ow: number },
): Info {
  const { n, sh, sw, ci, co, oh, ow } = d;
  const m = n * oh * ow;
  const stride = m % 256 === 0 ? m + 16 : m;
  const taps = sh * sw * ci;
  const colsT = calls.output([taps, stride]);
  const dyRows = stride === m ? calls.reshape(dy, [m, co]) : calls.output([stride, co]);
  const heap = calls.heap!;
  const src = heap.typedArrayFromHeap(x) as Float32Array;
  const dst = heap.typedArrayFromHeap(colsT) as Float32Array;
  const inW = ow * sw;
  for (let img = 0; img < n; img++) {
    for (let i = 0; i < oh; i++) {
      for (let a = 0; a < sh; a++) {
        const row = ((img * oh + i) * sh + a) * inW * ci;
        for (let j = 0; j < ow; j++) {
          const pixel = (img * oh + i) * ow + j;
          for (let b = 0; b < sw; b++) {
            const from = row + (j * sw + b) * ci;
            const to = (a * sw + b) * ci * stride + pixel;
            for (let c = 0; c < ci; c++) dst[to + c * stride] = src[from + c];
          }
        }
      }
    }
  }
  if (stride !== m) {
    for (let r = 0; r < taps; r++) dst.fill(0, r * stride + m, (r + 1) * stride);
    const rows = heap.typedArrayFromHeap(dyRows) as Float32Array;
    rows.set(heap.typedArrayFromHeap(dy) as Float32Array);
    rows.fill(0, m * co);
  }
  return calls.reshape(calls.matMul(colsT, dyRows), [sh, sw, ci, co]);
}
