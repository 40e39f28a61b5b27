import { cache, ImageVolume, utilities } from '@cornerstonejs/core';
import { Enums as ToolEnums, segmentation } from '@cornerstonejs/tools';
import { hexColor, type LabelMapping } from './label-mapping.ts';
import { labelmapData } from './labelmap-history.ts';
import { createLabelmapImages } from './labelmap-images.ts';
import { applyLabelmapStyle, type LabelmapStyle } from './labelmap-style.ts';

const LABELMAP = ToolEnums.SegmentationRepresentations.Labelmap;
/** How long the copies pause before the views redraw. */
const REDRAW_AFTER_MS = 120;

/**
 * One of the acquisition view's labelmaps (the annotations, or a model's predictions) as
 * the reformatted views draw it: a labelmap volume of its own on the series' image
 * volume, into which each slice's segment indices are copied as they change. The stack
 * labelmap stays the one that is painted and saved; this is only a picture of it.
 * (Cornerstone can convert a stack labelmap to a volume itself, but that conversion asks
 * the image loader for the derived slice images, which exist only in memory.)
 */
export class ReformatLabelmap {
  private readonly volumeId: string;
  /** volume slice k of each acquisition-view image id */
  private readonly sliceOf = new Map<string, number>();
  private readonly volumeImageIds: string[];
  private readonly pending = new Set<number>();
  private redraw: ReturnType<typeof setTimeout> | undefined;
  private removed = false;

  private constructor(
    readonly segmentationId: string,
    private readonly viewportIds: readonly string[],
    private readonly mapping: LabelMapping,
    referencedVolumeId: string,
  ) {
    this.volumeId = `${segmentationId}-volume`;
    const referenced = cache.getVolume(referencedVolumeId);
    if (!referenced) throw new Error(`the series volume ${referencedVolumeId} is gone`);
    referenced.imageIds.forEach((imageId, k) => this.sliceOf.set(imageId, k));
    // Cornerstone's createAndCacheDerivedLabelmapVolume, with the slices made as the
    // acquisition view's are (labelmap-images.ts: 100 ms less for 200 slices).
    const images = createLabelmapImages(referenced.imageIds, (imageId) => `${imageId}:${this.volumeId}`);
    this.volumeImageIds = images.map((image) => image.imageId);
    const { metadata, dimensions, spacing, origin, direction } = referenced;
    const volume = new ImageVolume({
      volumeId: this.volumeId,
      dataType: 'Uint8Array',
      metadata: utilities.deepClone(metadata),
      dimensions: [dimensions[0], dimensions[1], dimensions[2]],
      spacing,
      origin,
      direction,
      referencedVolumeId,
      imageIds: this.volumeImageIds,
      referencedImageIds: referenced.imageIds,
    });
    cache.putVolumeSync(this.volumeId, volume);
  }

  /** Makes the volume and shows it in the views, coloured as the labels are. */
  static async create(
    segmentationId: string,
    viewportIds: readonly string[],
    mapping: LabelMapping,
    referencedVolumeId: string,
  ): Promise<ReformatLabelmap> {
    const labelmap = new ReformatLabelmap(segmentationId, viewportIds, mapping, referencedVolumeId);
    segmentation.addSegmentations([
      {
        segmentationId,
        representation: { type: LABELMAP, data: { volumeId: labelmap.volumeId } },
        config: { segments: mapping.segmentsConfig() },
      },
    ]);
    for (const viewportId of viewportIds) {
      await segmentation.addLabelmapRepresentationToViewport(viewportId, [{ segmentationId }]);
      mapping.labels.forEach((label, i) => {
        const [r, g, b] = hexColor(label.color);
        segmentation.config.color.setSegmentIndexColor(viewportId, segmentationId, i + 1, [r, g, b, 255]);
      });
    }
    return labelmap;
  }

  /**
   * Copies one acquisition slice's segment indices (`null`: none) into the volume. The
   * views redraw once the changes pause (a brush stroke is a change per mouse move: the
   * views across follow when it ends, and the stroke keeps the frame rate to itself).
   */
  copySlice(referencedImageId: string, data: Uint8Array | null): void {
    const k = this.sliceOf.get(referencedImageId);
    const target = k === undefined ? null : labelmapData(this.volumeImageIds[k]);
    if (this.removed || k === undefined || !target) return;
    if (data && data.length === target.length) target.set(data);
    else target.fill(0);
    this.pending.add(k);
    clearTimeout(this.redraw);
    this.redraw = setTimeout(() => this.flush(), REDRAW_AFTER_MS);
  }

  private flush(): void {
    if (this.removed || this.pending.size === 0) return;
    const slices = [...this.pending];
    this.pending.clear();
    segmentation.triggerSegmentationEvents.triggerSegmentationDataModified(this.segmentationId, slices);
  }

  setStyle(style: LabelmapStyle): void {
    for (const viewportId of this.viewportIds) applyLabelmapStyle(viewportId, this.segmentationId, this.mapping, style);
  }

  /** Takes it off the views (before they go), then frees the segmentation and its volume. */
  remove(): void {
    this.removed = true;
    clearTimeout(this.redraw);
    for (const viewportId of this.viewportIds) {
      try {
        segmentation.removeSegmentationRepresentation(viewportId, { segmentationId: this.segmentationId, type: LABELMAP });
      } catch {
        // not shown there
      }
    }
    try {
      segmentation.removeSegmentation(this.segmentationId);
    } catch {
      // not added
    }
    try {
      cache.removeVolumeLoadObject(this.volumeId);
    } catch {
      // already evicted
    }
    // The volume's slice images outlive it in the cache otherwise.
    for (const imageId of this.volumeImageIds) {
      try {
        cache.removeImageLoadObject(imageId);
      } catch {
        // already evicted
      }
    }
  }
}
