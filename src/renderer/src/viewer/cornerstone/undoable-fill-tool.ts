import { getEnabledElement } from '@cornerstonejs/core';
import { PaintFillTool, segmentation } from '@cornerstonejs/tools';
import { sameValues } from './label-mapping.ts';
import { currentLabelmapImageId, labelmapData, recordLabelmapEdit } from './labelmap-history.ts';

/** The fill tool's Cornerstone name. */
export const FILL_TOOL_NAME = 'SsmtlPaintFill';

/**
 * Cornerstone's PaintFillTool writes the labelmap without recording an undo step, so
 * Ctrl+Z after a fill undid the stroke before it and left the fill. This one keeps the
 * slice's labelmap before the fill and records the change as an undo step of its own.
 */
export class UndoableFillTool extends PaintFillTool {
  static override toolName = FILL_TOOL_NAME;

  constructor(...args: ConstructorParameters<typeof PaintFillTool>) {
    super(...args);
    const fill = this.preMouseDownCallback;
    this.preMouseDownCallback = (evt) => {
      const viewportId = getEnabledElement(evt.detail.element)?.viewport.id;
      const segmentationId = viewportId && segmentation.activeSegmentation.getActiveSegmentation(viewportId)?.segmentationId;
      const imageId = viewportId && segmentationId ? currentLabelmapImageId(viewportId, segmentationId) : null;
      const before = imageId ? labelmapData(imageId)?.slice() : undefined;
      const result = fill(evt);
      const after = imageId ? labelmapData(imageId) : null;
      if (segmentationId && imageId && before && after && !sameValues(before, after))
        recordLabelmapEdit(segmentationId, imageId, before, after.slice());
      return result;
    };
  }
}
