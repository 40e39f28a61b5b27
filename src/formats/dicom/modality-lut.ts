import type { StoredPixels } from './pixel-data/decode-frame.ts';

/**
 * The modality LUT of PS3.3 C.11.1 as a linear rescale: stored values to modality
 * units (Hounsfield units for CT). MONOCHROME1 is a display convention and is not
 * inverted here, so values match what every DICOM toolkit reports.
 */
export function applyModalityLut(stored: StoredPixels, slope: number, intercept: number, out = new Float32Array(stored.length)): Float32Array {
  if (slope === 1 && intercept === 0) {
    out.set(stored);
    return out;
  }
  for (let i = 0; i < stored.length; i++) out[i] = stored[i] * slope + intercept;
  return out;
}
