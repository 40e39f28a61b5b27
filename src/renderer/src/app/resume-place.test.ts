import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { nextTick, ref } from 'vue';
import type { SeriesStatus } from '../../../shared/api.ts';
import { useViewerStore } from '../viewer/viewer-store.ts';
import { placeIn, readPlace, savePlace, type Place, type PlaceStorage } from './resume-place.ts';
import type { Screen } from './screens.ts';
import { useStudioStore } from './studio-store.ts';
import { seriesStatus } from './test-fixtures.ts';
import { useResumePlace } from './use-resume-place.ts';

/** localStorage as the page has it: strings by key. */
class MemoryStorage implements PlaceStorage {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
}

const series = (id: string, slices: number) => seriesStatus(id, { slices });

const place: Place = { screen: 'annotate', seriesId: 'A', sliceIndex: 120, tool: 'eraser', threeViews: false };

describe('the stored place', () => {
  it('is kept per workspace', () => {
    const storage = new MemoryStorage();
    savePlace(storage, '/ws/one', place);
    savePlace(storage, '/ws/two', { ...place, screen: 'train' });
    expect(readPlace(storage, '/ws/one')).toEqual(place);
    expect(readPlace(storage, '/ws/two')?.screen).toBe('train');
    expect(readPlace(storage, '/ws/three')).toBeNull();
  });

  it('reads nothing from what is not a place, and fills in what a place lacks', () => {
    const storage = new MemoryStorage();
    for (const text of ['{not json', '42', 'null', '{"screen":"settings"}']) {
      storage.setItem('ssmtl.place:/ws', text);
      expect(readPlace(storage, '/ws')).toBeNull();
    }
    storage.setItem('ssmtl.place:/ws', '{"screen":"review","seriesId":7,"sliceIndex":"3","tool":"laser"}');
    expect(readPlace(storage, '/ws')).toEqual({ screen: 'review', seriesId: null, sliceIndex: 0, tool: 'brush', threeViews: true });
  });

  it('never fails on storage that refuses to be written', () => {
    const full: PlaceStorage = {
      getItem: () => null,
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    expect(() => savePlace(full, '/ws', place)).not.toThrow();
  });

  it('goes back to the Library when its series is gone, and clamps a slice beyond the series', () => {
    expect(placeIn(place, [series('B', 10)])).toEqual({
      screen: 'library',
      seriesId: null,
      sliceIndex: 0,
      tool: 'eraser',
      threeViews: false,
    });
    expect(placeIn({ ...place, screen: 'train' }, []).screen).toBe('train');
    expect(placeIn(place, [series('A', 100)]).sliceIndex).toBe(99);
    expect(placeIn({ ...place, sliceIndex: -4 }, [series('A', 100)]).sliceIndex).toBe(0);
    expect(placeIn(place, [series('A', 181)])).toEqual(place);
  });
});

describe('coming back where the user was', () => {
  beforeEach(() => setActivePinia(createPinia()));

  function openWorkspace(dir: string, list: SeriesStatus[]): void {
    const studio = useStudioStore();
    studio.workspace = {
      dir,
      exists: true,
      readOnly: null,
      transport: 'serve',
      backend: { requested: 'auto', lastUsed: null, notes: [], gpuWorker: null },
    };
    studio.series = list;
  }

  it('stores every move and puts back screen, series, slice, tool and layout after a reload', async () => {
    const storage = new MemoryStorage();
    openWorkspace('/ws', [series('A', 181), series('B', 136)]);
    const screen = ref<Screen>('library');
    useResumePlace(screen, storage).restore();
    const viewer = useViewerStore();
    viewer.seriesId = 'B';
    viewer.sliceIndex = 57;
    viewer.tool = 'pan';
    viewer.threeViews = false;
    screen.value = 'review';
    await nextTick();

    // The reload: fresh stores and a fresh page state, the same storage.
    setActivePinia(createPinia());
    openWorkspace('/ws', [series('A', 181), series('B', 136)]);
    const reloaded = ref<Screen>('library');
    useResumePlace(reloaded, storage).restore();
    const after = useViewerStore();
    expect([reloaded.value, after.seriesId, after.sliceIndex, after.tool, after.threeViews]).toEqual(['review', 'B', 57, 'pan', false]);
  });

  it('opens the Library when the series on screen was removed since', async () => {
    const storage = new MemoryStorage();
    savePlace(storage, '/ws', place);
    openWorkspace('/ws', [series('B', 136)]);
    const screen = ref<Screen>('library');
    useResumePlace(screen, storage).restore();
    expect(screen.value).toBe('library');
    expect(useViewerStore().seriesId).toBeNull();
  });

  it('keeps a screen the user chose while the workspace loaded', () => {
    const storage = new MemoryStorage();
    savePlace(storage, '/ws', place);
    openWorkspace('/ws', [series('A', 181)]);
    const screen = ref<Screen>('library');
    const resume = useResumePlace(screen, storage);
    screen.value = 'train';
    resume.restore();
    expect(screen.value).toBe('train');
    expect(useViewerStore().seriesId).toBe('A');
  });
});
