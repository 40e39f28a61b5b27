import type { DenseNetwork } from '../../networks/dense-network.ts';
import { predictSlices, type SeriesPrediction } from '../../segmentation/predict.ts';
import type { SeriesRecord, Workspace } from '../workspace/workspace.ts';
import type { SegmentationMeta } from './segmentation-model.ts';

/** Every slice of a stored series through a segmentation model (engine/segmentation/predict.ts). */
export function predictSeries(
  workspace: Workspace,
  net: DenseNetwork,
  meta: SegmentationMeta,
  series: SeriesRecord,
  onSlice?: (done: number, total: number) => void,
): Promise<SeriesPrediction> {
  return predictSlices(net, meta, series, (k) => workspace.readSlice(series.id, k), onSlice);
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
