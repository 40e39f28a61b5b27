/**
 * Where the engine gets pixels from. The workspace (src/engine/node/workspace) implements
 * this structurally; tests and the browser use `InMemorySliceSource`.
 */
export interface SliceSeries {
  id: string;
  slices: number;
  rows: number;
  cols: number;
}

export interface SliceSource {
  listSeries(): SliceSeries[];
  /** rows*cols values, row-major, in the stored units after the modality LUT (HU for CT) */
  readSlice(seriesId: string, index: number): Float32Array;
}

/** Series held in memory: `volumes[id]` is slices × rows × cols, row-major. */
export class InMemorySliceSource implements SliceSource {
  private readonly series = new Map<string, { info: SliceSeries; data: Float32Array }>();

  add(id: string, slices: number, rows: number, cols: number, data: Float32Array): this {
    if (data.length !== slices * rows * cols) {
      throw new Error(`series ${id}: expected ${slices}×${rows}×${cols} = ${slices * rows * cols} values, got ${data.length}`);
    }
    this.series.set(id, { info: { id, slices, rows, cols }, data });
    return this;
  }

  listSeries(): SliceSeries[] {
    return [...this.series.values()].map((s) => ({ ...s.info }));
  }

  readSlice(seriesId: string, index: number): Float32Array {
    const entry = this.series.get(seriesId);
    if (!entry) throw new Error(`unknown series ${seriesId}`);
    const { rows, cols, slices } = entry.info;
    if (!Number.isInteger(index) || index < 0 || index >= slices) {
      throw new Error(`series ${seriesId}: slice ${index} out of range [0, ${slices})`);
    }
    const n = rows * cols;
    return entry.data.slice(index * n, (index + 1) * n);
  }
}
