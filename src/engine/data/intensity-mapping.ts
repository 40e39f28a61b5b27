import type { IntensityMapping } from '../../shared/intensity-mapping.ts';

/**
 * The arithmetic of an intensity mapping (shared/intensity-mapping.ts says what each one
 * means): a series' clip range, then the clip. Every path that feeds a network (pre-training
 * in this process or in a page's GPU worker, fine-tuning, prediction, evaluation, the
 * experiment) measures the range the same way (preprocess.ts's seriesIntensityRange), so
 * it is the same number everywhere: a percentile range is taken over a few slices spread
 * along the volume, each resized to the network's size first (what a GPU worker holds).
 */
export interface IntensityRange {
  low: number;
  high: number;
}

/** At most this many slices, evenly spread, are read to measure a volume's percentiles. */
const RANGE_SLICES = 32;

/** Which slices a percentile range reads: evenly spread over the volume, first and last included. */
export function rangeSampleSlices(slices: number, most = RANGE_SLICES): number[] {
  if (slices <= most) return Array.from({ length: slices }, (_, k) => k);
  return Array.from({ length: most }, (_, i) => Math.round((i * (slices - 1)) / (most - 1)));
}

/**
 * The low…high percentiles (0-100) of the finite values of `parts` (a volume's slices, or
 * one array), from an evenly strided sample of at most `sampleSize` of them. A volume
 * without spread gets a range one unit wide.
 */
export function percentileRange(
  parts: Float32Array | readonly Float32Array[],
  low: number,
  high: number,
  sampleSize = 200_000,
): IntensityRange {
  const arrays = parts instanceof Float32Array ? [parts] : parts;
  const total = arrays.reduce((n, a) => n + a.length, 0);
  const step = Math.max(1, Math.floor(total / sampleSize));
  const sample: number[] = [];
  let offset = 0; // where the stride falls in the next array
  for (const a of arrays) {
    for (let i = offset; i < a.length; i += step) if (Number.isFinite(a[i])) sample.push(a[i]);
    offset = (offset - a.length) % step;
    if (offset < 0) offset += step;
  }
  if (sample.length === 0) return { low: 0, high: 1 };
  sample.sort((x, y) => x - y);
  const at = (q: number) => sample[Math.min(sample.length - 1, Math.max(0, Math.round((q / 100) * (sample.length - 1))))];
  const lo = at(low);
  const hi = at(high);
  return hi > lo ? { low: lo, high: hi } : { low: lo, high: lo + 1 };
}

/**
 * The clip range of one series under `mapping` (null: no clip). `sample` is only called
 * for a percentile mapping: the rangeSampleSlices of the series, already resized.
 */
export function intensityRange(mapping: IntensityMapping, sample: () => Float32Array[]): IntensityRange | null {
  switch (mapping.kind) {
    case 'none':
      return null;
    case 'window':
      return { low: mapping.level - mapping.width / 2, high: mapping.level + mapping.width / 2 };
    case 'percentile':
      return percentileRange(sample(), mapping.low, mapping.high);
  }
}

/** Clips to the range, in place (null: unchanged). Non-finite values stay as they are (normalization zeroes them). */
export function clipToRange(values: Float32Array, range: IntensityRange | null): Float32Array {
  if (!range) return values;
  const { low, high } = range;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < low) values[i] = low;
    else if (v > high) values[i] = high;
  }
  return values;
}
