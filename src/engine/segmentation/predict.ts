import * as tf from '@tensorflow/tfjs-core';
import { resizeBilinear } from '../data/preprocess.ts';
import type { UNet } from '../networks/unet.ts';

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
export async function predictProbabilities(net: UNet, images: Float32Array[], size: number, batch = 4): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  const pixels = size * size;
  for (let start = 0; start < images.length; start += batch) {
    const part = images.slice(start, start + batch);
    const x = new Float32Array(part.length * pixels);
    part.forEach((image, n) => x.set(image, n * pixels));
    const probabilities = tf.tidy(() => tf.softmax(net.predict(tf.tensor4d(x, [part.length, size, size, 1]))));
    // data(), not dataSync(): WebGPU cannot read synchronously outside a browser.
    const flat = (await probabilities.data()) as Float32Array;
    probabilities.dispose();
    const per = flat.length / part.length;
    for (let n = 0; n < part.length; n++) out.push(flat.slice(n * per, (n + 1) * per));
  }
  return out;
}

/** One slice's probabilities (size × size × C, channels last) → label values at rows × cols and its mean entropy. */
export function toSeriesResolution(probabilities: Float32Array, classValues: number[], size: number, rows: number, cols: number): SlicePrediction {
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

/** Unannotated slices, most uncertain first: where to annotate next. */
export function rankByUncertainty(entropy: number[], annotated: Iterable<number>): number[] {
  const skip = new Set(annotated);
  return entropy
    .map((h, k) => ({ h, k }))
    .filter(({ k }) => !skip.has(k))
    .sort((a, b) => b.h - a.h || a.k - b.k)
    .map(({ k }) => k);
}
