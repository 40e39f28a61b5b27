import { cache, utilities } from '@cornerstonejs/core';
import { segmentation } from '@cornerstonejs/tools';

/**
 * The undo history of the viewer: Cornerstone's one global ring, where its brush strokes
 * record themselves, and where our own edits (a fill, an accepted prediction, a taken
 * region) record the labelmap image they changed, before and after.
 */
const history = utilities.HistoryMemo.DefaultHistoryMemo;

export const labelmapHistory = {
  get canUndo(): boolean {
    return history.canUndo;
  },
  get canRedo(): boolean {
    return history.canRedo;
  },
  undo(): void {
    history.undo();
  },
  redo(): void {
    history.redo();
  },
  /**
   * Empties it: each series starts with an empty history (the steps of a closed series
   * point at labelmaps that are gone). Setting the size empties the ring.
   */
  clear(): void {
    history.size = history.size;
  },
};

/** A labelmap image's data (segment indices), or null when it is gone from the cache. */
export function labelmapData(imageId: string): Uint8Array | null {
  return (cache.getImage(imageId)?.voxelManager?.getScalarData() as Uint8Array | undefined) ?? null;
}

/**
 * Records an edit of one labelmap image as an undo step: undo puts `before` back, redo
 * `after`; either tells Cornerstone the segmentation changed (so it is drawn, and the
 * viewer saves the slice).
 */
export function recordLabelmapEdit(segmentationId: string, imageId: string, before: Uint8Array, after: Uint8Array): void {
  history.push({
    id: `${segmentationId}:${imageId}:${Date.now()}`,
    operationType: 'labelmap',
    restoreMemo: (undo?: boolean) => {
      const data = labelmapData(imageId);
      if (!data) return;
      data.set(undo ? before : after);
      segmentation.triggerSegmentationEvents.triggerSegmentationDataModified(segmentationId);
    },
  });
}

/** The labelmap image a viewport shows for a segmentation (the slice on screen). */
export function currentLabelmapImageId(viewportId: string, segmentationId: string): string | null {
  return segmentation.state.getCurrentLabelmapImageIdForViewport(viewportId, segmentationId) ?? null;
}
