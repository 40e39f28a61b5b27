import { cache } from '@cornerstonejs/core';
import { Enums as ToolEnums, segmentation } from '@cornerstonejs/tools';
import { fetchPrediction } from '../../api/pixels.ts';
import { inBackground } from '../background-work.ts';
import type { PaletteLabel } from '../../../../shared/api.ts';
import { hexColor, LabelMapping } from './label-mapping.ts';
import { createLabelmapImages } from './labelmap-images.ts';
import { labelmapData } from './labelmap-history.ts';
import { applyLabelmapStyle, type LabelmapStyle } from './labelmap-style.ts';

const LABELMAP = ToolEnums.SegmentationRepresentations.Labelmap;

/** What the overlay needs of the session that owns the viewport. */
export interface OverlayHost {
  readonly viewportId: string;
  readonly seriesId: string;
  /** the series' slice image ids, whose derived labelmaps hold the predictions */
  readonly imageIds: string[];
  /** the slice on screen (or on its way): its neighbours' predictions are fetched first */
  currentSlice(): number;
  /** whether a slice shows its prediction (the session decides: annotated slices hide it) */
  shownOn(index: number): boolean;
  render(): void;
  /** other views that draw the predictions too (the reformatted views): a model came or went */
  modelShown?(mapping: LabelMapping | null): void;
  /** …and a slice's shown prediction was written (segment indices; null: none) */
  sliceWritten?(index: number, data: Uint8Array | null): void;
}

/**
 * A segmentation model's predictions over the series: a labelmap of their own, loaded
 * slice by slice as slices are shown, only shown, never edited. On a slice where the
 * prediction is not to be shown, its labelmap holds zeros; the values stay at hand to
 * show it again, to accept it, or to take one region of it.
 */
export class PredictionOverlay {
  private model: string | null = null;
  /** the model's own labels (what it learnt, named and coloured as then) ↔ the overlay's segments */
  private mapping = new LabelMapping([]);
  private imageIds: string[] = [];
  /** each slice's predicted label values, once fetched (null: the model has none for it) */
  private readonly values = new Map<number, Promise<Uint16Array | null>>();

  constructor(
    private readonly host: OverlayHost,
    readonly segmentationId: string,
  ) {}

  get shownModel(): string | null {
    return this.model;
  }

  /** Shows a model's predictions (null: none), named and coloured by the labels it learnt. */
  async show(model: string | null, labels: readonly PaletteLabel[]): Promise<void> {
    if (model === this.model) return;
    if (this.model !== null) {
      this.detach();
      this.removeSegmentation();
    }
    this.model = model;
    this.mapping = new LabelMapping(labels);
    this.values.clear();
    this.host.modelShown?.(model === null ? null : this.mapping);
    if (model === null) {
      this.host.render();
      return;
    }
    if (this.imageIds.length === 0) {
      const images = createLabelmapImages(this.host.imageIds, (referenced) => `${referenced}:prediction:${this.segmentationId}`);
      this.imageIds = images.map((image) => image.imageId);
    } else {
      for (const id of this.imageIds) labelmapData(id)?.fill(0);
    }
    segmentation.addSegmentations([
      {
        segmentationId: this.segmentationId,
        representation: { type: LABELMAP, data: { imageIds: this.imageIds } },
        config: { segments: this.mapping.segmentsConfig() },
      },
    ]);
    await segmentation.addLabelmapRepresentationToViewport(this.host.viewportId, [{ segmentationId: this.segmentationId }]);
    this.mapping.labels.forEach((label, i) => {
      const [r, g, b] = hexColor(label.color);
      segmentation.config.color.setSegmentIndexColor(this.host.viewportId, this.segmentationId, i + 1, [r, g, b, 255]);
    });
  }

  /** The model's label values for a slice (fetched once), or null when there is no model or no prediction. */
  valuesAt(index: number): Promise<Uint16Array | null> {
    const model = this.model;
    if (model === null) return Promise.resolve(null);
    let values = this.values.get(index);
    if (!values) {
      values = fetchPrediction(this.host.seriesId, model, index).catch(() => null);
      this.values.set(index, values);
    }
    return values;
  }

  /** Draws a slice's prediction, or clears it where the slice is not to show it. */
  async refresh(index: number): Promise<void> {
    if (!(await this.write(index))) return;
    segmentation.triggerSegmentationEvents.triggerSegmentationDataModified(this.segmentationId);
    this.host.render();
  }

  /** Every slice (for views that cut across the slices), drawn once all are written. */
  async refreshAll(): Promise<void> {
    const model = this.model;
    if (model === null) return;
    // A few fetches at a time: the acquisition view's own slices keep their turn.
    const indices = this.imageIds.map((_, index) => index);
    if (
      !(await inBackground(
        indices,
        (index) => this.write(index),
        () => model !== this.model,
        { around: () => this.host.currentSlice() },
      ))
    )
      return;
    segmentation.triggerSegmentationEvents.triggerSegmentationDataModified(this.segmentationId);
    this.host.render();
  }

  /** Writes a slice's prediction (or zeros where it is not shown) into its labelmap; false when nothing was written. */
  private async write(index: number): Promise<boolean> {
    const model = this.model;
    if (model === null || index < 0 || index >= this.imageIds.length) return false;
    const values = this.host.shownOn(index) ? await this.valuesAt(index) : null;
    const data = labelmapData(this.imageIds[index]);
    if (model !== this.model || !data) return false;
    if (values) this.mapping.writeSegments(values, data);
    else data.fill(0);
    this.host.sliceWritten?.(index, values ? data : null);
    return true;
  }

  /**
   * Opacity of the predictions, with a thin outline; hidden labels hide here as in the
   * annotations.
   */
  setStyle(opacity: number, hiddenLabels: readonly number[]): void {
    if (this.model === null) return;
    applyLabelmapStyle(this.host.viewportId, this.segmentationId, this.mapping, this.style(opacity, hiddenLabels));
  }

  /** The predictions' look at an opacity: a thin outline a little stronger than the fill. */
  style(opacity: number, hiddenLabels: readonly number[]): LabelmapStyle {
    return { fill: opacity, outline: Math.min(1, opacity + 0.2), outlineWidth: 1, hiddenLabels };
  }

  /** Takes the overlay off the viewport (before the viewport goes). */
  detach(): void {
    try {
      segmentation.removeSegmentationRepresentation(this.host.viewportId, { segmentationId: this.segmentationId, type: LABELMAP });
    } catch {
      // not shown
    }
  }

  private removeSegmentation(): void {
    try {
      segmentation.removeSegmentation(this.segmentationId);
    } catch {
      // not added
    }
  }

  /** Frees the segmentation and its images (after detach and the viewport's end). */
  dispose(): void {
    if (this.model !== null) this.removeSegmentation();
    this.model = null;
    for (const id of this.imageIds) {
      try {
        cache.removeImageLoadObject(id);
      } catch {
        // already evicted by the cache
      }
    }
  }
}
