import * as tf from '@tensorflow/tfjs-core';
import { resizeBilinear } from '../data/preprocess.ts';
import { meanAbsoluteError } from '../losses.ts';
import type { DenseNetwork } from '../networks/dense-network.ts';
import { Random } from '../random.ts';
import type { SupervisedObjective, TrainingExample } from '../segmentation/finetune-trainer.ts';
import { addSignalDependentNoise, type NoiseModel } from './noise-model.ts';

/**
 * The denoising downstream task of the paper (Sec. 4.3, Table 6): a backbone (pre-trained
 * or not) with one 1×1 head learns to restore clean slices from noisy ones, minimizing the
 * L1 loss; scored by PSNR on the test slices.
 *
 * A slice is taken to [0, 1] (noise-model.ts: the volume's robust range), resized to the
 * network's size, and noised; the network sees the noisy slice instance-normalized, as in
 * pre-training, and its head gives the correction to it (residual learning, as DnCNN):
 * restored = noisy + output, in the same normalized coordinates, so the L1 loss between
 * the restored and the clean slice is the L1 loss of the output against (clean − noisy).
 * An untrained head thus starts at the noisy slice, not at a blank one. Mapping back by
 * the noisy slice's mean and deviation gives the restoration on the [0, 1] scale, where
 * PSNR = 10·log10(1 / MSE) per slice, averaged over the slices.
 */
export const DENOISING_HEAD = 'denoised';

export interface DenoisingExample extends TrainingExample {
  /** clean − noisy in the input's normalized coordinates, size × size: what the head learns */
  target: Float32Array;
  /** the clean slice on the [0, 1] scale (for PSNR) */
  clean: Float32Array;
  /** the noisy slice's mean and standard deviation (to map predictions back) */
  mean: number;
  std: number;
}

/** One example from a slice already on the [0, 1] scale (rows × cols); `key` names the slice in the noise's seed. */
export function denoisingExample(
  slice01: Float32Array,
  rows: number,
  cols: number,
  size: number,
  noise: NoiseModel,
  seed: number,
  key: string,
): DenoisingExample {
  const clean = resizeBilinear(slice01, rows, cols, size, size);
  const noisy = addSignalDependentNoise(clean, noise, Random.derive(seed, 'denoising-noise', key));
  let mean = 0;
  for (const v of noisy) mean += v;
  mean /= noisy.length;
  let variance = 0;
  for (const v of noisy) variance += (v - mean) ** 2;
  const std = Math.sqrt(variance / noisy.length + 1e-5);
  const image = noisy.map((v) => (v - mean) / std);
  const target = clean.map((v, p) => (v - noisy[p]) / std);
  return { image, target, clean, mean, std };
}

export const denoisingObjective: SupervisedObjective<DenoisingExample> = {
  channels: 1,
  writeTarget: (e, out, offset) => out.set(e.target, offset),
  loss: (prediction, target) => meanAbsoluteError(prediction, target),
};

/** Mean PSNR (dB, peak 1) of the network's restorations of the examples, and each slice's. */
export async function denoisingPsnr(
  net: DenseNetwork,
  examples: DenoisingExample[],
  size: number,
  batch = 4,
): Promise<{ psnr: number; perSlice: number[]; noisyPsnr: number }> {
  const pixels = size * size;
  const perSlice: number[] = [];
  let noisyTotal = 0;
  for (let start = 0; start < examples.length; start += batch) {
    const part = examples.slice(start, start + batch);
    const x = new Float32Array(part.length * pixels);
    part.forEach((e, n) => x.set(e.image, n * pixels));
    const out = tf.tidy(() => net.predict(tf.tensor4d(x, [part.length, size, size, 1]), 'eval'));
    const values = (await out.data()) as Float32Array;
    out.dispose();
    part.forEach((e, n) => {
      let mse = 0;
      let noisyMse = 0;
      for (let p = 0; p < pixels; p++) {
        const restored = Math.min(1, Math.max(0, (e.image[p] + values[n * pixels + p]) * e.std + e.mean));
        mse += (restored - e.clean[p]) ** 2;
        noisyMse += (e.image[p] * e.std + e.mean - e.clean[p]) ** 2;
      }
      perSlice.push(psnr(mse / pixels));
      noisyTotal += psnr(noisyMse / pixels);
    });
  }
  return { psnr: perSlice.reduce((a, b) => a + b, 0) / perSlice.length, perSlice, noisyPsnr: noisyTotal / examples.length };
}

/** PSNR in dB for a mean squared error on a peak-1 scale (capped at 100 dB for a perfect slice). */
export function psnr(mse: number): number {
  return mse <= 1e-10 ? 100 : 10 * Math.log10(1 / mse);
}
