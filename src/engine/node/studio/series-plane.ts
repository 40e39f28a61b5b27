import type { SeriesPlane } from '../../../shared/series.ts';
import { seriesPlane } from '../annotations/series-grid.ts';
import type { SeriesSummary, Workspace } from '../workspace/workspace.ts';

/**
 * Series' planes for the interface (orientation markers, positions in mm, reformatted
 * views), kept once computed: a plane reads every slice's row of the catalogue, and the
 * series list (catalogue.ts) carries all of them, so recomputing them made listing 50
 * series of 200 slices take 40–60 ms on every refresh. A series' geometry changes only
 * when it is imported again, which writes a new pixel file: that file's name is the key.
 */
export class SeriesPlanes {
  private readonly planes = new Map<string, { pixelFile: string; plane: SeriesPlane | null }>();

  of(workspace: Workspace, record: SeriesSummary): SeriesPlane | null {
    const known = this.planes.get(record.id);
    if (known?.pixelFile === record.pixelFile) return known.plane;
    const plane = seriesPlane(workspace, record);
    this.planes.set(record.id, { pixelFile: record.pixelFile, plane });
    return plane;
  }

  /** Drops series no longer in the workspace. */
  keepOnly(ids: ReadonlySet<string>): void {
    for (const id of this.planes.keys()) if (!ids.has(id)) this.planes.delete(id);
  }
}
