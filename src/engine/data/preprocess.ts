import type { IntensityMapping } from '../../shared/intensity-mapping.ts';
import { clipToRange, intensityRange, rangeSampleSlices, type IntensityRange } from './intensity-mapping.ts';

/**
 * Slice preprocessing of the paper (Sec. 4.1-4.2): every slice is resized to size × size,
 * its values mapped to grey levels (intensity-mapping.ts: clipped to a CT window or to the
 * volume's percentiles) and normalized per image (instance normalization: zero mean, unit
 * variance). Done in plain typed arrays so that it is identical on every backend and costs
 * no device round trip.
 */

/** Bilinear resize with half-pixel centres (the convention of tf.image.resizeBilinear and
 * PyTorch's interpolate(align_corners=False)). `src` is rows × cols, row-major. */
export function resizeBilinear(src: Float32Array, rows: number, cols: number, outRows: number, outCols: number): Float32Array {
  if (src.length !== rows * cols) throw new Error(`resizeBilinear: ${src.length} values for a ${rows}×${cols} slice`);
  const out = new Float32Array(outRows * outCols);
  if (rows === outRows && cols === outCols) {
    out.set(src);
    return out;
  }
  const sy = rows / outRows;
  const sx = cols / outCols;
  const x0s = new Int32Array(outCols);
  const x1s = new Int32Array(outCols);
  const fxs = new Float32Array(outCols);
  for (let x = 0; x < outCols; x++) {
    const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), cols - 1);
    x0s[x] = Math.floor(fx);
    x1s[x] = Math.min(x0s[x] + 1, cols - 1);
    fxs[x] = fx - x0s[x];
  }
  for (let y = 0; y < outRows; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), rows - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, rows - 1);
    const wy = fy - y0;
    const r0 = y0 * cols;
    const r1 = y1 * cols;
    const o = y * outCols;
    for (let x = 0; x < outCols; x++) {
      const a = src[r0 + x0s[x]] + (src[r0 + x1s[x]] - src[r0 + x0s[x]]) * fxs[x];
      const b = src[r1 + x0s[x]] + (src[r1 + x1s[x]] - src[r1 + x0s[x]]) * fxs[x];
      out[o + x] = a + (b - a) * wy;
    }
  }
  return out;
}

/** Instance normalization: (x − mean) / sqrt(var + eps), in place. A constant slice
 * becomes all zeros instead of NaN. Non-finite inputs are treated as the mean. */
export function instanceNormalize(values: Float32Array, eps = 1e-5): Float32Array {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      sum += v;
      count++;
    }
  }
  const mean = count > 0 ? sum / count : 0;
  let sq = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) sq += (v - mean) * (v - mean);
  }
  const inv = 1 / Math.sqrt((count > 0 ? sq / count : 0) + eps);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    values[i] = Number.isFinite(v) ? (v - mean) * inv : 0;
  }
  return values;
}

/** Resize, clip to the series' intensity range (null: none, the stored values), normalize. */
export function preprocessSlice(src: Float32Array, rows: number, cols: number, size: number, range: IntensityRange | null): Float32Array {
  return instanceNormalize(clipToRange(resizeBilinear(src, rows, cols, size, size), range));
}

interface SeriesShape {
  slices: number;
  rows: number;
  cols: number;
}

/** The clip range of a series whose slices (stored values, rows × cols) `read` returns, for a network of `size`. */
export function seriesIntensityRange(
  mapping: IntensityMapping,
  series: SeriesShape,
  size: number,
  read: (index: number) => Float32Array,
): IntensityRange | null {
  return intensityRange(mapping, () =>
    rangeSampleSlices(series.slices).map((k) => resizeBilinear(read(k), series.rows, series.cols, size, size)),
  );
}

/** seriesIntensityRange for slices read asynchronously (a page's GPU worker fetches them from the host). */
export async function seriesIntensityRangeAsync(
  mapping: IntensityMapping,
  series: SeriesShape,
  size: number,
  read: (index: number) => Float32Array | Promise<Float32Array>,
): Promise<IntensityRange | null> {
  if (mapping.kind !== 'percentile') return intensityRange(mapping, () => []);
  const sample = await Promise.all(
    rangeSampleSlices(series.slices).map(async (k) => resizeBilinear(await read(k), series.rows, series.cols, size, size)),
  );
  return intensityRange(mapping, () => sample);
}
