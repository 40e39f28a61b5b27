import { describe, expect, it } from 'vitest';
import { instanceNormalize, preprocessSlice, resizeBilinear } from './preprocess.ts';

describe('preprocessing (paper Sec. 4.2: resize, instance normalization)', () => {
  it('normalizes each image to zero mean and unit variance', () => {
    const v = instanceNormalize(Float32Array.from([1, 2, 3, 4, 5, 6]));
    const mean = v.reduce((a, b) => a + b) / v.length;
    const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
    expect(mean).toBeCloseTo(0, 6);
    expect(variance).toBeCloseTo(1, 4);
  });

  it('maps a constant slice to zeros and non-finite values to the mean', () => {
    expect([...instanceNormalize(new Float32Array(5).fill(-1000))]).toEqual([0, 0, 0, 0, 0]);
    const v = instanceNormalize(Float32Array.from([0, NaN, 2]));
    expect(v[1]).toBe(0);
    expect(Number.isFinite(v[0]) && Number.isFinite(v[2])).toBe(true);
  });

  it('resizes bilinearly with half-pixel centres', () => {
    // 2×2 → 4×4: corners keep their values, the middle is the average.
    const out = resizeBilinear(Float32Array.from([0, 1, 2, 3]), 2, 2, 4, 4);
    expect(out[0]).toBeCloseTo(0);
    expect(out[15]).toBeCloseTo(3);
    expect(out[5]).toBeCloseTo(0.75);
    expect(
      preprocessSlice(
        new Float32Array(40 * 30).map((_, i) => i),
        40,
        30,
        16,
        null,
      ),
    ).toHaveLength(256);
  });
});
