import type { SeriesStatus } from '../../../shared/api.ts';
import { TOOLS, type ToolName } from '../viewer/tools.ts';
import type { Screen } from './screens.ts';

/**
 * Where the user was (screen, series, slice, tool, one view or three), kept in the browser's storage per
 * workspace so a reload or a restart comes back there. Storage is the user's to edit or
 * corrupt, and the workspace may have changed since: what is read is checked against
 * the series that exist now before anything uses it.
 */
export interface Place {
  screen: Screen;
  seriesId: string | null;
  /** 0-based */
  sliceIndex: number;
  tool: ToolName;
  /** the three orthogonal views, or the acquisition view alone */
  threeViews: boolean;
}

/** what localStorage offers (a fake in tests) */
export type PlaceStorage = Pick<Storage, 'getItem' | 'setItem'>;

const SCREENS: readonly Screen[] = ['library', 'annotate', 'train', 'review', 'export'];
/** screens that show a series: without one they make no sense to come back to */
const SERIES_SCREENS: readonly Screen[] = ['annotate', 'review'];

function storageKey(workspaceDir: string): string {
  return `ssmtl.place:${workspaceDir}`;
}

export function savePlace(storage: PlaceStorage, workspaceDir: string, place: Place): void {
  try {
    storage.setItem(storageKey(workspaceDir), JSON.stringify(place));
  } catch {
    // Full or refused storage (a private window): coming back is a convenience, never an error.
  }
}

/** The stored place, or null when there is none or it is not one (a hand edit, an old format). */
export function readPlace(storage: PlaceStorage, workspaceDir: string): Place | null {
  let raw: unknown;
  try {
    raw = JSON.parse(storage.getItem(storageKey(workspaceDir)) ?? 'null');
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const { screen, seriesId, sliceIndex, tool, threeViews } = raw as Record<string, unknown>;
  if (!SCREENS.includes(screen as Screen)) return null;
  return {
    screen: screen as Screen,
    seriesId: typeof seriesId === 'string' ? seriesId : null,
    sliceIndex: typeof sliceIndex === 'number' && Number.isFinite(sliceIndex) ? Math.floor(sliceIndex) : 0,
    tool: TOOLS.some((t) => t.id === tool) ? (tool as ToolName) : 'brush',
    threeViews: threeViews !== false,
  };
}

/**
 * The place as the workspace allows it now: a series that is gone sends a series screen
 * back to the Library; a slice beyond the series (re-imported shorter) is clamped.
 */
export function placeIn(place: Place, series: readonly SeriesStatus[]): Place {
  const shown = series.find((s) => s.id === place.seriesId);
  if (!shown) {
    return { ...place, seriesId: null, sliceIndex: 0, screen: SERIES_SCREENS.includes(place.screen) ? 'library' : place.screen };
  }
  return { ...place, sliceIndex: Math.min(Math.max(0, place.sliceIndex), shown.slices - 1) };
}
