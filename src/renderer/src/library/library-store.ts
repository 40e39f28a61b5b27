import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { SeriesInfo } from '../../../shared/series.ts';

/** The open workspace and its series, as the engine reports them. */
export const useLibraryStore = defineStore('library', () => {
  const workspace = ref<string | null>(null);
  const series = ref<SeriesInfo[]>([]);
  const error = ref<string | null>(null);

  async function refresh(): Promise<void> {
    try {
      workspace.value = await window.studio.workspace();
      series.value = await window.studio.listSeries();
      error.value = null;
    } catch (caught) {
      error.value = caught instanceof Error ? caught.message : String(caught);
    }
  }

  return { workspace, series, error, refresh };
});
