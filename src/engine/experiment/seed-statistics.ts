/**
 * Statistics over seeds, for `experiment` (aggregate.ts) and `demo` alike: the mean and
 * sample standard deviation of a score, and the paired difference of two arms run with
 * the same seeds (hence the same annotated slices), whose spread is what says whether one
 * arm is better, not the spread of each arm on its own.
 */
export function mean(values: number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Sample standard deviation (n − 1); null below two values. */
export function sd(values: number[]): number | null {
  if (values.length < 2) return null;
  const m = mean(values) as number;
  return Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1));
}

/** Four decimals: what the tables print. */
export function round4(x: number | null | undefined): number | null {
  return x === null || x === undefined ? null : Math.round(x * 1e4) / 1e4;
}

export interface MeanSd {
  mean: number | null;
  sd: number | null;
  n: number;
}

export function meanSd(values: number[]): MeanSd {
  return { mean: round4(mean(values)), sd: round4(sd(values)), n: values.length };
}

/** a − b per seed where both have a score (null: that seed's score is missing), then their mean ± sd. */
export function pairedDifference(a: (number | null | undefined)[], b: (number | null | undefined)[]): MeanSd & { perSeed: number[] } {
  const perSeed: number[] = [];
  a.forEach((x, i) => {
    const y = b[i];
    if (typeof x === 'number' && typeof y === 'number') perSeed.push(x - y);
  });
  return { ...meanSd(perSeed), perSeed: perSeed.map((d) => round4(d) as number) };
}

/** "0.612 ± 0.031" (— where missing; no ± with one seed). */
export function formatMeanSd(x: Pick<MeanSd, 'mean' | 'sd'>, digits = 3, signed = false): string {
  if (x.mean === null) return '—';
  const m = signed && x.mean >= 0 ? `+${x.mean.toFixed(digits)}` : x.mean.toFixed(digits);
  return x.sd === null ? m : `${m} ± ${x.sd.toFixed(digits)}`;
}
