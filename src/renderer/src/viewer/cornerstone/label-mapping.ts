import type { PaletteLabel } from '../../../../shared/api.ts';
import { labelRgb } from '../../../../shared/labels.ts';

/**
 * A labelmap holds segment indices 1..255; the palette's order maps segment index i to
 * label value labels[i - 1].value, both ways, when loading and saving. Values outside the
 * palette load as background.
 */
export class LabelMapping {
  private readonly segmentByValue: Map<number, number>;

  constructor(readonly labels: readonly PaletteLabel[]) {
    this.segmentByValue = new Map(labels.map((l, i) => [l.value, i + 1]));
  }

  /** The segment index of a label value; 0 when the palette has no such label. */
  segmentOf(value: number): number {
    return this.segmentByValue.get(value) ?? 0;
  }

  valueOf(segment: number): number {
    return segment ? (this.labels[segment - 1]?.value ?? 0) : 0;
  }

  /** Label values → segment indices, into `out` (a labelmap image's data). */
  writeSegments(values: ArrayLike<number>, out: { [i: number]: number; length: number }): void {
    for (let i = 0; i < out.length; i++) out[i] = values[i] ? this.segmentOf(values[i]) : 0;
  }

  /** Segment indices → label values. */
  toValues(segments: ArrayLike<number>): Uint16Array {
    const values = new Uint16Array(segments.length);
    for (let i = 0; i < segments.length; i++) values[i] = this.valueOf(segments[i]);
    return values;
  }

  /**
   * Every label as a segment of its own, named. Cornerstone shows, hides and styles only
   * the segments a segmentation declares (a labelmap declares segment 1 alone by
   * default): without this, hiding any other label did nothing.
   */
  segmentsConfig(): Record<number, { label: string }> {
    return Object.fromEntries(this.labels.map((label, i) => [i + 1, { label: label.name }]));
  }
}

export function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export const hexColor = (color: string): [number, number, number] => labelRgb(color);

/**
 * The 4-connected region of equal, non-zero label values around `start` (a pixel index),
 * as a list of pixel indices; empty where the value at `start` is 0.
 */
export function connectedRegion(values: ArrayLike<number>, cols: number, rows: number, start: number): number[] {
  const value = values[start];
  if (!value) return [];
  const seen = new Uint8Array(cols * rows);
  const region: number[] = [];
  const stack = [start];
  seen[start] = 1;
  while (stack.length) {
    const p = stack.pop()!;
    region.push(p);
    const x = p % cols;
    const neighbours = [x > 0 ? p - 1 : -1, x < cols - 1 ? p + 1 : -1, p - cols, p + cols];
    for (const q of neighbours)
      if (q >= 0 && q < values.length && !seen[q] && values[q] === value) {
        seen[q] = 1;
        stack.push(q);
      }
  }
  return region;
}
