import { Enums as ToolEnums, segmentation } from '@cornerstonejs/tools';
import type { LabelMapping } from './label-mapping.ts';

const LABELMAP = ToolEnums.SegmentationRepresentations.Labelmap;

/** How a labelmap is drawn: fill and outline opacity, outline width, and the label values hidden. */
export interface LabelmapStyle {
  fill: number;
  outline: number;
  outlineWidth: number;
  hiddenLabels: readonly number[];
}

/** Applies a style to one labelmap in one viewport (annotations and predictions, in every view, alike). */
export function applyLabelmapStyle(viewportId: string, segmentationId: string, mapping: LabelMapping, style: LabelmapStyle): void {
  const specifier = { viewportId, segmentationId, type: LABELMAP };
  segmentation.config.style.setStyle(specifier, {
    fillAlpha: style.fill,
    fillAlphaInactive: style.fill,
    outlineOpacity: style.outline,
    outlineOpacityInactive: style.outline,
    outlineWidthInactive: style.outlineWidth,
  });
  mapping.labels.forEach((label, i) =>
    segmentation.config.visibility.setSegmentIndexVisibility(
      viewportId,
      { segmentationId, type: LABELMAP },
      i + 1,
      !style.hiddenLabels.includes(label.value),
    ),
  );
}
