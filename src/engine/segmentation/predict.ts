import * as tf from '@tensorflow/tfjs-core';
import { recordedIntensity, type IntensityMapping } from '../../shared/intensity-mapping.ts';
import { preprocessSlice, resizeBilinear, seriesIntensityRangeAsync } from '../data/preprocess.ts';
import type { DenseNetwork } from '../networks/dense-network.ts';
import type { Backbone } from '../../shared/job.ts';
import type { TensorRecord } from '../train/ssmtl-trainer.ts';

/**
 * Segmentation of whole slices, back at the series' resolution: softmax probabilities at
 * the network's size are resized bilinearly to rows × cols (class by class), then the
 * most probable class wins. The mean per-pixel entropy of those probabilities (in nats)
 * is the slice's uncertainty: high where the model hesitates, which is where an
 * annotation teaches it most.
 */
export interface SlicePrediction {
  /** rows × cols label values */
  labels: Uint16Array;
  /** mean entropy over the slice's pixels, nats */
  entropy: number;
}

/** Softmax probabilities (size × size × classes, channels last) of preprocessed images, `batch` at a time. */
export async function predictProbabilities(net: DenseNetwork, images: Float32Array[], size: number, batch = 4): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  const pixels = size * size;
  for (let start = 0; start < images.length; start += batch) {
    const part = images.slice(start, start + batch);
    const x = new Float32Array(part.length * pixels);
    part.forEach((image, n) => x.set(image, n * pixels));
    const probabilities = tf.tidy(() => tf.softmax(net.predict(tf.tensor4d(x, [part.length, size, size, 1]), 'eval')));
    // data(), not dataSync(): WebGPU cannot read synchronously outside a browser.
    const flat = (await probabilities.data()) as Float32Array;
    probabilities.dispose();
    const per = flat.length / part.length;
    for (let n = 0; n < part.length; n++) out.push(flat.slice(n * per, (n + 1) * per));
  }
  return out;
}

/** One slice's probabilities (size × size × C, channels last) → label values at rows × cols and its mean entropy. */
export function toSeriesResolution(
  probabilities: Float32Array,
  classValues: number[],
  size: number,
  rows: number,
  cols: number,
): SlicePrediction {
  const c = classValues.length;
  const planes: Float32Array[] = [];
  for (let k = 0; k < c; k++) {
    const plane = new Float32Array(size * size);
    for (let p = 0; p < plane.length; p++) plane[p] = probabilities[p * c + k];
    planes.push(resizeBilinear(plane, size, size, rows, cols));
  }
  const labels = new Uint16Array(rows * cols);
  let entropySum = 0;
  for (let p = 0; p < labels.length; p++) {
    let best = 0;
    let bestValue = -Infinity;
    let total = 0;
    for (let k = 0; k < c; k++) total += planes[k][p];
    let h = 0;
    for (let k = 0; k < c; k++) {
      const v = planes[k][p];
      if (v > bestValue) {
        bestValue = v;
        best = k;
      }
      const q = v / (total || 1);
      if (q > 0) h -= q * Math.log(q);
    }
    labels[p] = classValues[best];
    entropySum += h;
  }
  return { labels, entropy: entropySum / labels.length };
}

/** What segmenting a series needs, wherever it runs (the job process, or a page's GPU worker). */
export interface PredictRequest {
  weights: TensorRecord[];
  model: { name: string; network?: Backbone; classes: number[]; size: number; width: number; seed: number; intensity?: IntensityMapping };
  series: { id: string; slices: number; rows: number; cols: number };
}

/** Every slice of a series through a segmentation model, at the series' resolution. */
export interface SeriesPrediction {
  /** slices × rows × cols label values, slice-major like the pixel store */
  labels: Uint16Array;
  /** mean per-pixel entropy (nats) of each slice */
  entropy: number[];
}

/**
 * Segments slices 0 … slices−1, read by `readSlice` (stored values, rows × cols) and
 * preprocessed like training, with the intensity mapping the model records (a model
 * without one was trained on stored values: none); a few at a time, so memory stays
 * bounded for any series.
 */
export async function predictSlices(
  net: DenseNetwork,
  model: { size: number; classes: number[]; intensity?: IntensityMapping },
  series: { slices: number; rows: number; cols: number },
  readSlice: (index: number) => Float32Array | Promise<Float32Array>,
  onSlice?: (done: number, total: number) => void,
): Promise<SeriesPrediction> {
  const plane = series.rows * series.cols;
  const labels = new Uint16Array(series.slices * plane);
  const entropy: number[] = [];
  const chunk = 8;
  const range = await seriesIntensityRangeAsync(recordedIntensity(model.intensity), series, model.size, readSlice);
  for (let start = 0; start < series.slices; start += chunk) {
    const indices = Array.from({ length: Math.min(chunk, series.slices - start) }, (_, i) => start + i);
    const raw = await Promise.all(indices.map((k) => readSlice(k)));
    const images = raw.map((values) => preprocessSlice(values, series.rows, series.cols, model.size, range));
    const probabilities = await predictProbabilities(net, images, model.size);
    indices.forEach((k, n) => {
      const slice = toSeriesResolution(probabilities[n], model.classes, model.size, series.rows, series.cols);
      labels.set(slice.labels, k * plane);
      entropy.push(slice.entropy);
    });
    onSlice?.(start + indices.length, series.slices);
  }
  return { labels, entropy };
}

/** Unannotated slices, most uncertain first: where to annotate next. */
export function rankByUncertainty(entropy: number[], annotated: Iterable<number>): number[] {
  const skip = new Set(annotated);
  return entropy
    .map((h, k) => ({ h, k }))
    .filter(({ k }) => !skip.has(k))
    .sort((a, b) => b.h - a.h || a.k - b.k)
    .map(({ k }) => k);
}
