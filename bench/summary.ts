/** Median, 95th percentile and maximum of a benchmark's durations (bench/viewer-speed.ts, bench/scale.ts). */
export interface Summary {
  n: number;
  median: number;
  p95: number;
  max: number;
}

export function summarise(durations: number[]): Summary {
  const sorted = [...durations].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { n: sorted.length, median: at(0.5), p95: at(0.95), max: sorted.at(-1) ?? NaN };
}
