import type { PixelRoute } from '../../../shared/pixel-urls.ts';
import { sliceThumbnail } from '../../../shared/thumbnail.ts';
import { readSliceAnnotation } from '../annotations/annotation-store.ts';
import { readPrediction } from '../segmentation/prediction-store.ts';
import type { SeriesRecord, Workspace } from '../workspace/workspace.ts';

export interface PixelAnswer {
  bytes: Uint8Array;
  rows: number;
  cols: number;
}

/**
 * The bytes behind the pixel URLs (shared/pixel-urls.ts): a slice, an annotation, a
 * prediction's slice, a series' thumbnail. One prediction volume stays in memory, because
 * the viewer asks for its slices one by one.
 */
export class PixelReads {
  private prediction: { key: string; labels: Uint16Array } | null = null;

  /** The answer to `route`, or null for a 404. */
  read(workspace: Workspace | null, route: PixelRoute): PixelAnswer | null {
    if (!workspace) return null;
    const series = workspace.findSeries(route.seriesId);
    if (!series) return null;
    if (route.kind === 'thumbnail') {
      const middle = workspace.readSlice(series.id, Math.floor(series.slices / 2));
      const { grey, rows, cols } = sliceThumbnail(middle, series.rows, series.cols, series.modality);
      return { bytes: grey, rows, cols };
    }
    if (route.index >= series.slices) return null;
    const answer = (values: Float32Array | Uint16Array) => ({
      bytes: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
      rows: series.rows,
      cols: series.cols,
    });
    if (route.kind === 'slice') return answer(workspace.readSlice(series.id, route.index));
    if (route.kind === 'annotation') {
      const annotation = readSliceAnnotation(workspace, series, route.index);
      return annotation && answer(annotation.labels);
    }
    const plane = series.rows * series.cols;
    const volume = this.cachedPrediction(workspace, series, route.model);
    return volume && answer(volume.subarray(route.index * plane, (route.index + 1) * plane));
  }

  /** A prediction was stored: the cached one may be stale. */
  forget(): void {
    this.prediction = null;
  }

  private cachedPrediction(workspace: Workspace, series: SeriesRecord, model: string): Uint16Array | null {
    const key = `${series.key}\u0000${model}`;
    if (this.prediction?.key === key) return this.prediction.labels;
    const stored = readPrediction(workspace, series, model);
    if (!stored) return null;
    this.prediction = { key, labels: stored.labels };
    return stored.labels;
  }
}
