/**
 * The viewer's speed, as User Timing measures (performance.getEntriesByName) that the
 * e2e run and bench/viewer-speed.ts read. Durations in ms.
 */
export const SPEED_MEASURES = {
  /** from asking for another slice (wheel, key, slice strip) to its pixels drawn on the canvas */
  sliceToPixels: 'ssmtl:slice-to-pixels',
  /** the page's synchronous handling of one mouse move while the left button drags over the viewer (a stroke) */
  dragMove: 'ssmtl:drag-move',
  /** from a drag's mouse move to the viewport's next frame on the canvas (how far the stroke on screen lags the mouse) */
  dragToPixels: 'ssmtl:drag-to-pixels',
  /** from opening a series to its first slice drawn, with its annotations */
  openSeries: 'ssmtl:open-series',
} as const;

/** Measures kept per name: enough for a benchmark, bounded over a day of annotating. */
const KEEP = 10_000;
const counts = new Map<string, number>();

export function recordMeasure(name: string, start: number, end = performance.now()): void {
  const count = (counts.get(name) ?? 0) + 1;
  if (count > KEEP) performance.clearMeasures(name);
  counts.set(name, count > KEEP ? 1 : count);
  performance.measure(name, { start, end });
}
