import type { IntensityMapping } from '../../shared/intensity-mapping.ts';
import type { IntensityRange } from './intensity-mapping.ts';
import type { SliceSource } from './slice-source.ts';
import { preprocessSlice, seriesIntensityRange } from './preprocess.ts';

/**
 * Preprocessed slices, read from the source on demand and kept in a least-recently-used
 * cache with a byte budget: a workspace of any size streams through bounded memory. Each
 * series' intensity range is measured once, on its first slice asked for.
 */
export class PreprocessedSlices {
  private readonly cache = new Map<string, Float32Array>();
  private readonly capacity: number;
  private readonly dims = new Map<string, { slices: number; rows: number; cols: number }>();
  private readonly ranges = new Map<string, IntensityRange | null>();
  reads = 0;

  constructor(
    private readonly source: SliceSource,
    private readonly size: number,
    private readonly intensity: IntensityMapping,
    budgetBytes = 256 * 1024 * 1024,
  ) {
    this.capacity = Math.max(8, Math.floor(budgetBytes / (size * size * 4)));
    for (const s of source.listSeries()) this.dims.set(s.id, { slices: s.slices, rows: s.rows, cols: s.cols });
  }

  private rangeOf(seriesId: string, dims: { slices: number; rows: number; cols: number }): IntensityRange | null {
    if (!this.ranges.has(seriesId))
      this.ranges.set(
        seriesId,
        seriesIntensityRange(this.intensity, dims, this.size, (k) => this.source.readSlice(seriesId, k)),
      );
    return this.ranges.get(seriesId) ?? null;
  }

  get(seriesId: string, index: number): Float32Array {
    const key = `${index}\u0000${seriesId}`;
    const hit = this.cache.get(key);
    if (hit) {
      // Map keeps insertion order: re-inserting marks it most recently used.
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const dims = this.dims.get(seriesId);
    if (!dims) throw new Error(`unknown series ${seriesId}`);
    const raw = this.source.readSlice(seriesId, index);
    this.reads++;
    const value = preprocessSlice(raw, dims.rows, dims.cols, this.size, this.rangeOf(seriesId, dims));
    this.cache.set(key, value);
    while (this.cache.size > this.capacity) {
      const oldest = this.cache.keys().next().value as string;
      this.cache.delete(oldest);
    }
    return value;
  }

  get cachedSlices(): number {
    return this.cache.size;
  }
}
