import { preprocessSlice } from '../../data/preprocess.ts';
import type { UNet } from '../../networks/unet.ts';
import { predictProbabilities, toSeriesResolution } from '../../segmentation/predict.ts';
import type { SeriesRecord, Workspace } from '../workspace/workspace.ts';
import type { SegmentationMeta } from './segmentation-model.ts';

/** Every slice of a series through a segmentation model, at the series' resolution. */
export interface SeriesPrediction {
  /** slices × rows × cols label values, slice-major like the pixel store */
  labels: Uint16Array;
  /** mean per-pixel entropy (nats) of each slice */
  entropy: number[];
}

export async function predictSeries(
  workspace: Workspace,
  net: UNet,
  meta: SegmentationMeta,
  series: SeriesRecord,
  onSlice?: (done: number, total: number) => void,
): Promise<SeriesPrediction> {
  const plane = series.rows * series.cols;
  const labels = new Uint16Array(series.slices * plane);
  const entropy: number[] = [];
  // A few slices at a time: bounded memory for any series length.
  const chunk = 8;
  for (let start = 0; start < series.slices; start += chunk) {
    const indices = Array.from({ length: Math.min(chunk, series.slices - start) }, (_, i) => start + i);
    const images = indices.map((k) => preprocessSlice(workspace.readSlice(series.id, k), series.rows, series.cols, meta.size));
    const probabilities = await predictProbabilities(net, images, meta.size);
    indices.forEach((k, n) => {
      const slice = toSeriesResolution(probabilities[n], meta.classes, meta.size, series.rows, series.cols);
      labels.set(slice.labels, k * plane);
      entropy.push(slice.entropy);
    });
    onSlice?.(start + indices.length, series.slices);
  }
  return { labels, entropy };
}

/** mL per label value (background left out), from the voxel size. */
export function labelVolumesMl(labels: Uint16Array, classes: number[], spacing: [number, number, number]): Record<string, number> {
  const counts = new Map<number, number>(classes.filter((v) => v !== 0).map((v) => [v, 0]));
  for (let p = 0; p < labels.length; p++) {
    const v = labels[p];
    if (v !== 0) counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const voxelMl = (Math.abs(spacing[0]) * Math.abs(spacing[1]) * Math.abs(spacing[2])) / 1000;
  return Object.fromEntries([...counts].map(([v, n]) => [String(v), Math.round(n * voxelMl * 1000) / 1000]));
}
