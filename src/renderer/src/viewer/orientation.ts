import type { PatientVector } from '../../../shared/series.ts';
import { valueRange } from '../../../shared/value-range.ts';

/**
 * Radiology's orientation letters for a direction in the patient (DICOM LPS): +x is the
 * patient's Left, +y Posterior, +z Superior. The main component first; an oblique
 * direction gets a second letter (e.g. "LA") when its next component is a quarter or more.
 */
const LETTERS: [positive: string, negative: string][] = [
  ['L', 'R'],
  ['P', 'A'],
  ['S', 'I'],
];

export function orientationLetters(direction: PatientVector): string {
  const norm = Math.hypot(...direction);
  if (!norm) return '';
  const parts = direction
    .map((c, axis) => ({ c: c / norm, axis }))
    .filter(({ c }) => Math.abs(c) >= 0.25)
    .sort((a, b) => Math.abs(b.c) - Math.abs(a.c))
    .slice(0, 2);
  return parts.map(({ c, axis }) => LETTERS[axis][c > 0 ? 0 : 1]).join('');
}

export type AnatomicalPlane = 'axial' | 'coronal' | 'sagittal';
export const ANATOMICAL_PLANES: readonly AnatomicalPlane[] = ['axial', 'coronal', 'sagittal'];

/** The anatomical plane closest to a slice normal: axial across S–I, coronal across A–P, sagittal across L–R. */
export function anatomicalPlane(normal: PatientVector): AnatomicalPlane {
  const [x, y, z] = normal.map(Math.abs);
  if (z >= x && z >= y) return 'axial';
  return y >= x ? 'coronal' : 'sagittal';
}

export interface OrientationMarkers {
  left: string;
  right: string;
  top: string;
  bottom: string;
}

/** The letters at a view's four edges, from the patient directions of the screen's right and down. */
export function orientationMarkers(right: PatientVector, down: PatientVector): OrientationMarkers {
  const minus = (v: PatientVector): PatientVector => [-v[0], -v[1], -v[2]];
  return {
    left: orientationLetters(minus(right)),
    right: orientationLetters(right),
    top: orientationLetters(minus(down)),
    bottom: orientationLetters(down),
  };
}

/** The window that shows most of a slice: its 1st to 99th percentile of values (MR, anything without a preset). */
export function autoWindow(values: ArrayLike<number>): { lower: number; upper: number } {
  const { min, max } = valueRange(values);
  if (!(max > min)) return { lower: min - 1, upper: min + 1 };
  const bins = new Uint32Array(1024);
  const scale = (bins.length - 1) / (max - min);
  for (let i = 0; i < values.length; i++) bins[Math.floor((values[i] - min) * scale)]++;
  const quantile = (q: number) => {
    const target = q * values.length;
    let seen = 0;
    for (let b = 0; b < bins.length; b++) {
      seen += bins[b];
      if (seen >= target) return min + b / scale;
    }
    return max;
  };
  const lower = quantile(0.01);
  const upper = quantile(0.99);
  return upper > lower ? { lower, upper } : { lower: min, upper: max };
}
