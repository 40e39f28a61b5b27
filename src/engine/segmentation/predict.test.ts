import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseIntensitySpec, type IntensityMapping } from '../../shared/intensity-mapping.ts';
import { clipToRange } from '../data/intensity-mapping.ts';
import { instanceNormalize, resizeBilinear, seriesIntensityRange } from '../data/preprocess.ts';
import type { DenseNetwork } from '../networks/dense-network.ts';
import { classesOf, resizeLabelsNearest, toClassIndices } from './label-maps.ts';
import { predictSlices, rankByUncertainty, toSeriesResolution } from './predict.ts';

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

describe("prediction's input: the model's recorded intensity mapping, then instance normalization", () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  /** A network that keeps what it is shown and answers "background" everywhere. */
  function recordingNet(seen: Float32Array[]): DenseNetwork {
    return {
      predict: (x: tf.Tensor4D) => {
        const [n, s] = x.shape;
        const data = x.dataSync() as Float32Array;
        for (let i = 0; i < n; i++) seen.push(data.slice(i * s * s, (i + 1) * s * s));
        return tf.zeros([n, s, s, 2]) as tf.Tensor4D;
      },
    } as unknown as DenseNetwork;
  }

  // 3 slices of 12×10 CT: padding, air and two soft tissues
  const series = { slices: 3, rows: 12, cols: 10 };
  const volume = Array.from({ length: 3 }, (_, k) =>
    Float32Array.from({ length: 120 }, (_, p) => (p < 20 ? -3024 : p < 50 ? -1000 : p % 2 ? 40 + k : 60 + 10 * k)),
  );
  const read = async (k: number) => volume[k];

  async function inputsFor(intensity: IntensityMapping | undefined): Promise<Float32Array[]> {
    const seen: Float32Array[] = [];
    await predictSlices(recordingNet(seen), { size: 8, classes: [0, 500], ...(intensity ? { intensity } : {}) }, series, read);
    return seen;
  }

  it('a model recording a window sees each slice resized, clipped to the window, normalized', async () => {
    const window = parseIntensitySpec('window:40,400') as IntensityMapping;
    const seen = await inputsFor(window);
    expect(seen).toHaveLength(3);
    volume.forEach((slice, k) => {
      const expected = instanceNormalize(clipToRange(resizeBilinear(slice, 12, 10, 8, 8), { low: -160, high: 240 }));
      expect(Array.from(seen[k])).toEqual(Array.from(expected));
    });
  });

  it("a model recording percentiles sees the series' own range; a model without a mapping sees the stored values", async () => {
    const percentile = parseIntensitySpec('percentile:20,95') as IntensityMapping;
    const range = seriesIntensityRange(percentile, series, 8, (k) => volume[k]);
    expect(range).not.toBeNull();
    const clipped = await inputsFor(percentile);
    const legacy = await inputsFor(undefined);
    volume.forEach((slice, k) => {
      expect(Array.from(clipped[k])).toEqual(Array.from(instanceNormalize(clipToRange(resizeBilinear(slice, 12, 10, 8, 8), range))));
      expect(Array.from(legacy[k])).toEqual(Array.from(instanceNormalize(resizeBilinear(slice, 12, 10, 8, 8))));
    });
    expect(Array.from(clipped[0])).not.toEqual(Array.from(legacy[0]));
  });
});
