import { watch, type Ref } from 'vue';
import { useViewerStore } from '../viewer/viewer-store.ts';
import { placeIn, readPlace, savePlace, type PlaceStorage } from './resume-place.ts';
import type { Screen } from './screens.ts';
import { useStudioStore } from './studio-store.ts';

/**
 * Comes back where the user was: `restore()` (once the workspace and its series are
 * known) puts back the stored screen, series, slice, tool and layout, then every change of
 * them is stored for the next reload or restart.
 */
export function useResumePlace(screen: Ref<Screen>, storage: PlaceStorage = window.localStorage): { restore(): void } {
  const studio = useStudioStore();
  const viewer = useViewerStore();
  let restored = false;
  const openedOn = screen.value;

  function restore(): void {
    const dir = studio.workspace?.dir;
    if (restored || !dir) return;
    restored = true;
    const stored = readPlace(storage, dir);
    if (stored) {
      const place = placeIn(stored, studio.series);
      viewer.seriesId = place.seriesId;
      viewer.sliceIndex = place.sliceIndex;
      viewer.tool = place.tool;
      viewer.threeViews = place.threeViews;
      // A screen chosen while the workspace loaded wins over the stored one.
      if (screen.value === openedOn) screen.value = place.screen;
    }
    watch(
      () => ({
        screen: screen.value,
        seriesId: viewer.seriesId,
        sliceIndex: viewer.sliceIndex,
        tool: viewer.tool,
        threeViews: viewer.threeViews,
      }),
      (place) => {
        const current = studio.workspace?.dir;
        if (current) savePlace(storage, current, place);
      },
    );
  }
  return { restore };
}
