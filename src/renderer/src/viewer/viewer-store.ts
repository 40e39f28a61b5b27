import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ToolName } from './tools.ts';

/** Window presets (center, width in HU); 'auto' uses the slice's own range (MR). */
export const WINDOW_PRESETS = {
  soft: { label: 'CT soft tissue', center: 40, width: 400 },
  lung: { label: 'CT lung', center: -600, width: 1500 },
  bone: { label: 'CT bone', center: 400, width: 1800 },
  auto: { label: 'Auto (MR)', center: 0, width: 0 },
} as const;
export type PresetName = keyof typeof WINDOW_PRESETS;

/** What the viewer shows and how it edits: plain state, no Cornerstone objects. */
export const useViewerStore = defineStore('viewer', () => {
  const seriesId = ref<string | null>(null);
  const sliceIndex = ref(0);
  const tool = ref<ToolName>('brush');
  const activeLabel = ref<number | null>(null);
  const brushRadiusMm = ref(6);
  const preset = ref<PresetName>('soft');
  /** the threshold brush's range; the default is contrast-filled blood on CT */
  const thresholdLower = ref(100);
  const thresholdUpper = ref(700);
  /** the segmentation model whose predictions are overlaid; null: none */
  const overlay = ref<string | null>(null);
  const overlayOpacity = ref(0.5);
  const hiddenLabels = ref<number[]>([]);
  /** show the model's prediction on annotated slices too (and while annotating) */
  const showPredictionHere = ref(false);

  return {
    seriesId,
    sliceIndex,
    tool,
    activeLabel,
    brushRadiusMm,
    preset,
    thresholdLower,
    thresholdUpper,
    overlay,
    overlayOpacity,
    hiddenLabels,
    showPredictionHere,
  };
});
