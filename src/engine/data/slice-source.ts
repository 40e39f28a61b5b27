/**
 * Where the engine gets pixels from. The workspace (src/engine/node/workspace) implements
 * this structurally; tests and the browser use `InMemorySliceSource`.
 */
export interface SliceSeries {
  id: string;
  slices: number;
  rows: number;
  cols: number;
  /**
   * mm of each slice along the slice normal (DICOM: ImagePositionPatient projected on the
   * normal; NIfTI: from the affine), in slice order; absent or null where the scan does not
   * say where its slices lie (then slice indices stand in for distances).
   */
  positions?: readonly number[] | null;
}

export interface SliceSource {
  listSeries(): SliceSeries[];
  /** where each slice of a series lies (see SliceSeries.positions); null when unknown */
  slicePositions?(seriesId: string): number[] | null;
  /** rows*cols values, row-major, in the stored units after the modality LUT (HU for CT) */
  readSlice(seriesId: string, index: number): Float32Array;
}

/** Series held in memory: `volumes[id]` is slices × rows × cols, row-major. */
export class InMemorySliceSource implements SliceSource {
  private readonly series = new Map<string, { info: SliceSeries; data: Float32Array; positions: number[] | null }>();

  add(id: string, slices: number, rows: number, cols: number, data: Float32Array, positions?: readonly number[] | null): this {
    if (data.length !== slices * rows * cols) {
      throw new Error(`series ${id}: expected ${slices}×${rows}×${cols} = ${slices * rows * cols} values, got ${data.length}`);
    }
    if (positions && positions.length !== slices) throw new Error(`series ${id}: ${positions.length} slice positions for ${slices} slices`);
    this.series.set(id, { info: { id, slices, rows, cols }, data, positions: positions ? [...positions] : null });
    return this;
  }

  listSeries(): SliceSeries[] {
    return [...this.series.values()].map((s) => ({ ...s.info }));
  }

  slicePositions(seriesId: string): number[] | null {
    const positions = this.series.get(seriesId)?.positions;
    return positions ? [...positions] : null;
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
