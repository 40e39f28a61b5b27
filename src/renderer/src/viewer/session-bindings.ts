import { watch } from 'vue';
import type { StackSession } from './cornerstone/stack-session.ts';
import { useStudioStore } from '../app/studio-store.ts';
import { WINDOW_PRESETS, useViewerStore } from './viewer-store.ts';

/**
 * The viewer's state, applied to the session: one table of what each setting reads and
 * how the session takes it. Each entry is watched (a change applies that entry) and the
 * whole table applies to a newly opened session.
 */
interface Binding {
  read(): unknown;
  apply(session: StackSession): void | Promise<void>;
}

export function useSessionBindings(current: () => StackSession | null, mode: 'annotate' | 'review') {
  const viewer = useViewerStore();
  const studio = useStudioStore();
  // A model's predictions carry the labels it learnt (older models: the workspace's set).
  const overlayModel = () =>
    viewer.overlay === null
      ? null
      : { name: viewer.overlay, labels: studio.models.find((m) => m.name === viewer.overlay)?.labels ?? studio.labels };
  const overlayStyle = (s: StackSession) => s.setOverlayStyle(viewer.overlayOpacity, viewer.hiddenLabels);
  const bindings: Binding[] = [
    { read: () => viewer.tool, apply: (s) => s.setTool(viewer.tool) },
    { read: () => viewer.brushRadiusMm, apply: (s) => s.setBrushRadiusMm(viewer.brushRadiusMm) },
    {
      read: () => [viewer.thresholdLower, viewer.thresholdUpper],
      apply: (s) =>
        s.setThresholdRange(Math.min(viewer.thresholdLower, viewer.thresholdUpper), Math.max(viewer.thresholdLower, viewer.thresholdUpper)),
    },
    {
      read: () => viewer.activeLabel,
      apply: (s) => {
        if (viewer.activeLabel !== null) s.setActiveLabel(viewer.activeLabel);
      },
    },
    {
      read: () => viewer.preset,
      apply: (s) => s.setWindow(WINDOW_PRESETS[viewer.preset].center, WINDOW_PRESETS[viewer.preset].width),
    },
    {
      // Review shows the model's prediction where nothing is annotated; "show prediction
      // here" and the Take tool show it everywhere (Take needs to see what it takes).
      read: () => [viewer.overlay, viewer.showPredictionHere, viewer.tool === 'take'],
      apply: async (s) => {
        const everywhere = viewer.showPredictionHere || viewer.tool === 'take';
        await s.showPredictions(overlayModel(), { everywhere, unannotated: mode === 'review' });
        overlayStyle(s);
      },
    },
    { read: () => [viewer.overlayOpacity, [...viewer.hiddenLabels]], apply: overlayStyle },
  ];
  for (const binding of bindings)
    watch(binding.read, () => {
      const session = current();
      if (session) void binding.apply(session);
    });
  return {
    applyAll(session: StackSession): void {
      for (const binding of bindings) void binding.apply(session);
    },
  };
}
