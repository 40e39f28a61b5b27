import type { SeriesInfo } from '../../../shared/series.ts';
import type { SeriesRecord, Workspace } from './workspace.ts';

/** CONTRACT.md's `info` entry for a series; per-slice stats only when asked for. */
export function seriesInfo(
  workspace: Workspace,
  { only, withStats = false }: { only?: SeriesRecord; withStats?: boolean } = {},
): SeriesInfo[] {
  const records = only ? [only] : workspace.listSeries();
  return records.map((record) => ({
    id: record.id,
    format: record.format,
    modality: record.modality,
    description: record.description,
    patientId: record.patientId,
    slices: record.slices,
    rows: record.rows,
    cols: record.cols,
    spacing: record.spacing,
    annotatedSlices: workspace.annotatedSlices(record.key),
    ...(withStats ? { stats: workspace.sliceStats(record.key) } : {}),
  }));
}
