import type { StoredPixels } from './pixel-data/decode-frame.ts';

export interface ValueStats {
  mean: number;
  min: number;
  max: number;
}

/**
 * The modality LUT of PS3.3 C.11.1 as a linear rescale: stored values to modality
 * units (Hounsfield units for CT), written into `out`. Returns the slice's statistics,
 * computed in double precision before `out` rounds to float32, so they match what any
 * DICOM toolkit reports. MONOCHROME1 is a display convention and is not inverted here.
 */
export function applyModalityLut(stored: StoredPixels, slope: number, intercept: number, out: Float32Array): ValueStats {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < stored.length; i++) {
    const value = stored[i] * slope + intercept;
    out[i] = value;
    if (value < min) min = value;
    if (value > max) max = value;
    sum += value;
  }
  return { mean: sum / stored.length, min, max };
}
