import type { IrregularityReason } from '../../shared/job.ts';

/**
 * Distances in the scan, not in the list. SSMTL's t counts slices, which is a distance in
 * the scan only where slices are evenly spaced. A gap (a missing or undecodable slice), a
 * second slice at about the same place, or drifting spacing make slice j ± t lie elsewhere
 * than t slice spacings away. This tells, from the slices' positions along the normal,
 * whether slice k lies where it should relative to slice j, and if not, why.
 */

/** How far from t·spacing a target may lie, as a fraction of the median spacing. */
export const SPACING_TOLERANCE = 0.25;
/** A step this many spacings long or more is a gap (a missing slice makes it 2). */
const GAP_STEPS = 1.5;

export type { IrregularityReason };

export interface SlicePositions {
  positions: readonly number[];
  /** the median step between neighbouring slices, signed (mm) */
  step: number;
}

/** The positions with their median step; null when they cannot measure distances (fewer than 2, or not advancing). */
export function measurePositions(positions: readonly number[] | null | undefined): SlicePositions | null {
  if (!positions || positions.length < 2 || !positions.every(Number.isFinite)) return null;
  const steps = positions.slice(1).map((p, i) => p - positions[i]);
  const sorted = [...steps].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const step = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return Math.abs(step) > 1e-6 ? { positions, step } : null;
}

/** Whether slice k lies (k − j) median steps from slice j, within the tolerance. */
export function atExpectedDistance(s: SlicePositions, j: number, k: number): boolean {
  const expected = s.positions[j] + (k - j) * s.step;
  return Math.abs(s.positions[k] - expected) <= SPACING_TOLERANCE * Math.abs(s.step);
}

export interface Irregularity {
  reason: IrregularityReason;
  /** the odd step lies between slices `after` and `after + 1` (0 based) */
  after: number;
  /** its length in mm */
  mm: number;
}

/**
 * Why slices j and k (either order) are not where they should be: the first odd step
 * between them — two slices at about one place (duplicate), a step of 1.5 spacings or more
 * (gap) — or, where every step is near the spacing but they add up wrong, 'uneven' (at the
 * step furthest from the spacing).
 */
export function irregularityBetween(s: SlicePositions, j: number, k: number): Irregularity {
  const [from, to] = j < k ? [j, k] : [k, j];
  let worst: Irregularity | null = null;
  let worstDeviation = -1;
  for (let i = from; i < to; i++) {
    const mm = s.positions[i + 1] - s.positions[i];
    const ratio = mm / s.step;
    if (ratio < SPACING_TOLERANCE) return { reason: 'duplicate', after: i, mm: Math.abs(mm) };
    if (ratio >= GAP_STEPS) return { reason: 'gap', after: i, mm: Math.abs(mm) };
    if (Math.abs(ratio - 1) > worstDeviation) {
      worstDeviation = Math.abs(ratio - 1);
      worst = { reason: 'uneven', after: i, mm: Math.abs(mm) };
    }
  }
  return worst as Irregularity;
}

/** An irregularity in words, e.g. "gap of 5.00 mm between slices 9 and 10". Slice numbers are 0 based, as the CLI's indices. */
export function describeIrregularity(x: Irregularity, spacing: number): string {
  const where = `slices ${x.after} and ${x.after + 1}`;
  switch (x.reason) {
    case 'gap':
      return `gap of ${x.mm.toFixed(2)} mm between ${where} (spacing ${spacing.toFixed(2)} mm: a missing or undecodable slice?)`;
    case 'duplicate':
      return `${where} only ${x.mm.toFixed(2)} mm apart (spacing ${spacing.toFixed(2)} mm: a duplicate slice?)`;
    case 'uneven':
      return `uneven spacing from ${where} (step ${x.mm.toFixed(2)} mm, median ${spacing.toFixed(2)} mm)`;
  }
}
