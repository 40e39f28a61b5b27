import type { SeriesPlane } from '../../../shared/series.ts';
import { seriesPlane } from '../annotations/series-grid.ts';
import type { Workspace } from '../workspace/workspace.ts';

/** A series' plane for the interface (orientation markers, positions in mm, reformatted views); null when unknown. */
export function seriesPlaneOf(workspace: Workspace, seriesId: string): SeriesPlane | null {
  const record = workspace.findSeries(seriesId);
  return record ? seriesPlane(workspace, record) : null;
}
