import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ToolName } from './tools.ts';

/**
 * Window presets (center, width in HU for CT); 'auto' takes the slice's own range (1st to
 * 99th percentile), for MR and anything whose values have no fixed meaning.
 */
export const WINDOW_PRESETS = {
  soft: { label: 'CT soft tissue', center: 40, width: 400 },
  lung: { label: 'CT lung', center: -600, width: 1500 },
  bone: { label: 'CT bone', center: 400, width: 1800 },
  brain: { label: 'CT brain', center: 40, width: 80 },
  auto: { label: "Auto (this slice's range)", center: 0, width: 0 },
  /** a window set by dragging: nothing to apply */
  custom: { label: 'Custom (window/level drag)', center: 0, width: -1 },
} as const;
export type PresetName = keyof typeof WINDOW_PRESETS;

/** The window a series opens with: CT in soft tissue, everything else on its own range (MR is not in HU). */
export function defaultPreset(modality: string | null): PresetName {
  return modality === 'CT' ? 'soft' : 'auto';
}

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
  /** the acquisition view with the two orthogonal views beside it, or the acquisition view alone */
  const threeViews = ref(true);

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
    threeViews,
  };
});
