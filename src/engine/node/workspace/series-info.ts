import type { SeriesInfo } from '../../../shared/series.ts';
import type { SeriesSummary, Workspace } from './workspace.ts';

/**
 * CONTRACT.md's `info` entry for each of `series` (all of the workspace's by default);
 * per-slice stats only when asked for.
 */
export function seriesInfo(
  workspace: Workspace,
  { series = workspace.listSeriesSummaries(), withStats = false }: { series?: readonly SeriesSummary[]; withStats?: boolean } = {},
): SeriesInfo[] {
  const annotated = workspace.annotatedSlicesByKey();
  return series.map((record) => ({
    id: record.id,
    format: record.format,
    modality: record.modality,
    description: record.description,
    patientId: record.patientId,
    slices: record.slices,
    rows: record.rows,
    cols: record.cols,
    spacing: record.spacing,
    annotatedSlices: annotated.get(record.key) ?? [],
    ...(withStats ? { stats: workspace.sliceStats(record.key) } : {}),
  }));
}
