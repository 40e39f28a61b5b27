import { describe, expect, it } from 'vitest';
import { classesOf, resizeLabelsNearest, toClassIndices } from './label-maps.ts';
import { rankByUncertainty, toSeriesResolution } from './predict.ts';

describe('label maps', () => {
  it('nearest-neighbour resize keeps label values and lines pixels up with the bilinear image resize', () => {
    const src = Uint16Array.from([1, 2, 3, 4]); // 2 × 2
    expect(Array.from(resizeLabelsNearest(src, 2, 2, 4, 4))).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    expect(Array.from(resizeLabelsNearest(resizeLabelsNearest(src, 2, 2, 4, 4), 4, 4, 2, 2))).toEqual([1, 2, 3, 4]);
  });

  it('classes are background then the values present; unknown values map to background', () => {
    expect(classesOf([Uint16Array.from([0, 600, 500]), Uint16Array.from([500, 205])])).toEqual([0, 205, 500, 600]);
    expect(Array.from(toClassIndices(Uint16Array.from([0, 600, 7, 205]), [0, 205, 600]))).toEqual([0, 2, 0, 1]);
  });
});

describe('prediction at the series resolution', () => {
  it('takes the most probable class per pixel and the mean entropy', () => {
    // 2 × 2 network output, 2 classes, channels last: pixel 0 sure of class 1, the rest undecided or background
    const probabilities = Float32Array.from([0, 1, 0.5, 0.5, 1, 0, 1, 0]);
    const { labels, entropy } = toSeriesResolution(probabilities, [0, 500], 2, 2, 2);
    expect(Array.from(labels)).toEqual([500, 0, 0, 0]);
    expect(entropy).toBeCloseTo(Math.log(2) / 4, 6);
    expect(toSeriesResolution(probabilities, [0, 500], 2, 4, 4).labels).toHaveLength(16);
  });

  it('ranks unannotated slices, most uncertain first', () => {
    expect(rankByUncertainty([0.1, 0.5, 0.3, 0.9], [3])).toEqual([1, 2, 0]);
  });
});
