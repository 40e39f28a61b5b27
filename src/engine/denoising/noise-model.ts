import { DEFAULT_PERCENTILES } from '../../shared/intensity-mapping.ts';
import { percentileRange, type IntensityRange } from '../data/intensity-mapping.ts';
import type { Random } from '../random.ts';

/**
 * The paper's synthetic noise for its denoising task (Sec. 4.3, "Denoising"): zero-mean,
 * signal-dependent Gaussian noise after Foi et al. 2008 ("Practical Poissonian-Gaussian
 * noise modeling"): for a clean intensity y in [0, 1],
 *
 *   z = y + σ(y)·ξ,  ξ ~ N(0, 1),  σ²(y) = a·y + b
 *
 * (a: the Poissonian, signal-dependent part; b: the Gaussian floor). Drawn from a seeded
 * generator, so the same slice gets the same noise on every run and backend.
 */
export interface NoiseModel {
  a: number;
  b: number;
}

/** About 26 dB of noise at mid-grey (σ ≈ 0.05 at y = ½): visible, yet denoisable. */
export const DEFAULT_NOISE: NoiseModel = { a: 0.004, b: 0.0004 };

export function addSignalDependentNoise(clean: Float32Array, noise: NoiseModel, random: Random): Float32Array {
  const out = new Float32Array(clean.length);
  for (let i = 0; i < clean.length; i++) {
    const variance = Math.max(noise.a * clean[i] + noise.b, 0);
    out[i] = clean[i] + Math.sqrt(variance) * random.normal();
  }
  return out;
}

/**
 * Stored values (HU for CT) to [0, 1] by the volume's robust range: the 0.5th and 99.5th
 * percentiles of a sample of its values (outliers such as metal or the scanner's padding
 * value do not stretch it), clipped. PSNR is measured on this scale (peak 1).
 */
export function robustRange(values: Float32Array, sampleSize = 200_000): IntensityRange {
  return percentileRange(values, DEFAULT_PERCENTILES.low, DEFAULT_PERCENTILES.high, sampleSize);
}

export function toUnitRange(values: Float32Array, range: { low: number; high: number }): Float32Array {
  const out = new Float32Array(values.length);
  const scale = 1 / (range.high - range.low);
  for (let i = 0; i < values.length; i++) {
    const v = (values[i] - range.low) * scale;
    out[i] = Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0;
  }
  return out;
}
