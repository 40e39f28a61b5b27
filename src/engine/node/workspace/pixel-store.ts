import { closeSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';

/** How a series' modality values are stored on disk; chosen per series at import. */
export type PixelDtype = 'int16' | 'uint16' | 'float32';

export const BYTES_PER_VALUE: Record<PixelDtype, number> = { int16: 2, uint16: 2, float32: 4 };

function typedView(dtype: PixelDtype, bytes: Uint8Array): Int16Array | Uint16Array | Float32Array {
  const count = bytes.byteLength / BYTES_PER_VALUE[dtype];
  if (dtype === 'int16') return new Int16Array(bytes.buffer, bytes.byteOffset, count);
  if (dtype === 'uint16') return new Uint16Array(bytes.buffer, bytes.byteOffset, count);
  return new Float32Array(bytes.buffer, bytes.byteOffset, count);
}

/** The value range each narrow type holds exactly. */
const RANGE: Record<Exclude<PixelDtype, 'float32'>, [number, number]> = { int16: [-32768, 32767], uint16: [0, 65535] };

/**
 * A slice as stored integers plus the modality LUT's integral offset (slope 1, the common
 * case of CT and MR): narrowed and measured straight from the decoded pixels, in one
 * pass and without rounding through float32.
 */
export interface IntegerSlice {
  stored: Int16Array | Uint16Array | Int8Array | Uint8Array;
  intercept: number;
}

export type SliceValues = Float32Array | IntegerSlice;

type SliceStats = { mean: number; min: number; max: number };

/** Appends slices, one after another, to a series' pixel file (little endian, slice-major). */
export class PixelWriter {
  private readonly fd: number;
  private readonly scratch: Uint8Array;
  private readonly view: Int16Array | Uint16Array | Float32Array;
  slicesWritten = 0;

  constructor(
    readonly path: string,
    readonly dtype: PixelDtype,
    readonly sliceValues: number,
  ) {
    this.fd = openSync(path, 'w');
    this.scratch = new Uint8Array(sliceValues * BYTES_PER_VALUE[dtype]);
    this.view = typedView(dtype, this.scratch);
  }

  /**
   * Appends a slice and returns its statistics, or null (writing nothing) when a value
   * does not survive the narrowing to this file's type: non-integral or out of range.
   * Narrowing, statistics and the check share one pass over the values.
   */
  tryAppend(values: SliceValues): SliceStats | null {
    const length = values instanceof Float32Array ? values.length : values.stored.length;
    if (length !== this.sliceValues) throw new Error(`slice has ${length} values, expected ${this.sliceValues}`);
    const stats = values instanceof Float32Array ? this.narrowFloats(values) : this.narrowIntegers(values);
    if (!stats) return null;
    writeSync(this.fd, this.scratch, 0, this.scratch.byteLength);
    this.slicesWritten++;
    return stats;
  }

  private narrowFloats(values: Float32Array): SliceStats | null {
    const view = this.view;
    const checked = this.dtype !== 'float32';
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    let exact = true;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      view[i] = v;
      if (checked && view[i] !== v) exact = false;
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
    }
    return exact ? { mean: sum / values.length, min, max } : null;
  }

  /** Integers plus an integral offset are exact in the narrow type whenever the extremes fit. */
  private narrowIntegers({ stored, intercept }: IntegerSlice): SliceStats | null {
    if (!Number.isInteger(intercept)) throw new Error(`an integer slice needs an integral intercept, got ${intercept}`);
    const view = this.view;
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (let i = 0; i < stored.length; i++) {
      const v = stored[i] + intercept;
      view[i] = v;
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
    }
    if (this.dtype !== 'float32') {
      const [lowest, highest] = RANGE[this.dtype];
      if (min < lowest || max > highest) return null;
    }
    return { mean: sum / stored.length, min, max };
  }

  /** Flushes to the disk before the caller renames the file into place. */
  finish(): void {
    fsyncSync(this.fd);
    closeSync(this.fd);
  }

  abandon(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}

/** Random access to the slices of one series' pixel file. */
export class PixelReader {
  private readonly fd: number;
  private readonly scratch: Uint8Array;
  private readonly view: Int16Array | Uint16Array | Float32Array;

  constructor(
    readonly path: string,
    readonly dtype: PixelDtype,
    readonly sliceValues: number,
  ) {
    this.fd = openSync(path, 'r');
    this.scratch = new Uint8Array(sliceValues * BYTES_PER_VALUE[dtype]);
    this.view = typedView(dtype, this.scratch);
  }

  read(index: number, out: Float32Array = new Float32Array(this.sliceValues)): Float32Array {
    const bytes = this.scratch.byteLength;
    const got = readSync(this.fd, this.scratch, 0, bytes, index * bytes);
    if (got !== bytes) throw new Error(`${this.path}: slice ${index} is missing (read ${got} of ${bytes} bytes)`);
    out.set(this.view);
    return out;
  }

  close(): void {
    closeSync(this.fd);
  }
}
