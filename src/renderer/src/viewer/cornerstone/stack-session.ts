import { cache, Enums, eventTarget, imageLoader, init as initCore, RenderingEngine, utilities, type Types } from '@cornerstonejs/core';
import {
  addTool,
  BrushTool,
  CircleScissorsTool,
  Enums as ToolEnums,
  init as initTools,
  PaintFillTool,
  PanTool,
  segmentation,
  StackScrollTool,
  ToolGroupManager,
  WindowLevelTool,
  ZoomTool,
} from '@cornerstonejs/tools';
import type { PaletteLabel } from '../../../../shared/api.ts';
import type { SeriesInfo } from '../../../../shared/series.ts';
import { fetchAnnotation, fetchPrediction } from '../../api/pixels.ts';
import { imageIdsFor, registerSliceImages } from './slice-images.ts';
import type { ToolName } from '../viewer-store.ts';
import { limitSoftwareRenderResolution } from './render-resolution.ts';
import { ViewportSpeedMarks } from './speed-marks.ts';
import { recordMeasure, SPEED_MEASURES } from '../speed-measures.ts';
import { applyToolBindings, FILL_TOOL_NAME, TOOL_INSTANCES } from './tool-group-bindings.ts';

/**
 * One series on screen: Cornerstone's rendering engine, a stack viewport, a tool group
 * and two labelmaps (the annotations being edited, the predictions being reviewed).
 * Everything Cornerstone-owned lives here, outside Vue's reactivity (the component
 * holds this object with markRaw): Vue proxies would break Cornerstone's identity
 * checks and make every render walk huge typed arrays.
 *
 * Labels: a labelmap holds segment indices 1..255; the palette's order maps segment
 * index i to label value labels[i - 1].value, both ways, when loading and saving.
 */
const LABELMAP_TYPE = ToolEnums.SegmentationRepresentations.Labelmap;
const ANNOTATION_SEGMENTATION = 'annotations';
const PREDICTION_SEGMENTATION = 'predictions';
/**
 * Cornerstone's PaintFillTool writes the labelmap without recording an undo step, so
 * Ctrl+Z after a fill undid the stroke before it and left the fill. This one takes the
 * slice's labelmap before and after the fill and records the difference; the session
 * that owns the tool group supplies the hooks.
 */
interface FillHooks {
  before(): unknown;
  after(token: unknown): void;
}
const fillHooks = new Map<string, FillHooks>();

class UndoablePaintFillTool extends PaintFillTool {
  static override toolName = FILL_TOOL_NAME;

  constructor(...args: ConstructorParameters<typeof PaintFillTool>) {
    super(...args);
    const fill = this.preMouseDownCallback;
    this.preMouseDownCallback = (evt) => {
      const hooks = fillHooks.get(this.toolGroupId);
      const token = hooks?.before();
      const result = fill(evt);
      hooks?.after(token);
      return result;
    };
  }
}

let initialized: Promise<void> | null = null;
let sessionCount = 0;

function initializeCornerstone(): Promise<void> {
  initialized ??= (async () => {
    // One viewport on screen at a time: one WebGL context per rendering engine, not the
    // default pool of 7 (a browser keeps about 16 and drops the oldest, live or not).
    limitSoftwareRenderResolution();
    await initCore({ rendering: { webGlContextCount: 1 }, debug: {} });
    initTools();
    registerSliceImages();
    for (const tool of [BrushTool, CircleScissorsTool, UndoablePaintFillTool, PanTool, ZoomTool, WindowLevelTool, StackScrollTool])
      addTool(tool);
  })();
  return initialized;
}

export interface SessionCallbacks {
  onSliceChange(index: number): void;
  /** a slice's annotation changed (a stroke, an undo): its label values, to be saved */
  onAnnotationEdited(index: number, labels: Uint16Array): void;
}

export class StackSession {
  private readonly id = ++sessionCount;
  private readonly engine: RenderingEngine;
  private readonly viewportId: string;
  private readonly toolGroupId: string;
  private readonly imageIds: string[];
  private annotationImageIds: string[] = [];
  private predictionImageIds: string[] = [];
  private predictionModel: string | null = null;
  private readonly predictionLoaded = new Set<number>();
  private suppressEdits = false;
  private readonly removeListeners: (() => void)[] = [];
  private labels: PaletteLabel[] = [];
  private destroyed = false;
  private speedMarks: ViewportSpeedMarks | null = null;
  /** each slice's labels as last loaded or reported */
  private readonly knownLabels = new Map<number, Uint16Array>();

  private constructor(
    private readonly element: HTMLDivElement,
    readonly series: SeriesInfo,
    private readonly callbacks: SessionCallbacks,
  ) {
    this.engine = new RenderingEngine(`ssmtl-engine-${this.id}`);
    this.viewportId = `ssmtl-viewport-${this.id}`;
    this.toolGroupId = `ssmtl-tools-${this.id}`;
    this.imageIds = imageIdsFor(series);
  }

  static async open(
    element: HTMLDivElement,
    series: SeriesInfo,
    labels: PaletteLabel[],
    startIndex: number,
    callbacks: SessionCallbacks,
  ): Promise<StackSession> {
    const started = performance.now();
    await initializeCornerstone();
    const session = new StackSession(element, series, callbacks);
    await session.start(labels, Math.min(Math.max(0, startIndex), series.slices - 1));
    element.addEventListener(Enums.Events.IMAGE_RENDERED, () => recordMeasure(SPEED_MEASURES.openSeries, started), { once: true });
    return session;
  }

  private get viewport(): Types.IStackViewport {
    return this.engine.getViewport(this.viewportId) as Types.IStackViewport;
  }

  private async start(labels: PaletteLabel[], startIndex: number): Promise<void> {
    clearHistory();
    this.engine.enableElement({
      viewportId: this.viewportId,
      type: Enums.ViewportType.STACK,
      element: this.element,
      defaultOptions: { background: [0, 0, 0] },
    });
    await this.viewport.setStack(this.imageIds, startIndex);
    this.setupTools();
    await this.setupAnnotations(labels);
    const onNewImage = () => {
      const index = this.viewport.getCurrentImageIdIndex();
      this.callbacks.onSliceChange(index);
      void this.loadPredictionSlice(index);
    };
    this.element.addEventListener(Enums.Events.STACK_NEW_IMAGE, onNewImage);
    this.removeListeners.push(() => this.element.removeEventListener(Enums.Events.STACK_NEW_IMAGE, onNewImage));
    const onModified = (event: Event) => {
      const detail = (event as CustomEvent<{ segmentationId: string }>).detail;
      if (detail.segmentationId === ANNOTATION_SEGMENTATION + this.id && !this.suppressEdits && !this.destroyed)
        this.reportEdit(this.viewport.getCurrentImageIdIndex());
    };
    eventTarget.addEventListener(ToolEnums.Events.SEGMENTATION_DATA_MODIFIED, onModified);
    this.removeListeners.push(() => eventTarget.removeEventListener(ToolEnums.Events.SEGMENTATION_DATA_MODIFIED, onModified));
    this.speedMarks = new ViewportSpeedMarks(this.element, () => this.viewport.getCurrentImageIdIndex());
    this.viewport.render();
  }

  private setupTools(): void {
    const group = ToolGroupManager.createToolGroup(this.toolGroupId);
    if (!group) throw new Error('could not create the viewer tool group');
    group.addViewport(this.viewportId, this.engine.id);
    fillHooks.set(this.toolGroupId, {
      before: () => {
        const index = this.viewport.getCurrentImageIdIndex();
        return { index, labels: this.readLabels(index) };
      },
      after: (token) => {
        const { index, labels: previous } = token as { index: number; labels: Uint16Array };
        const filled = this.readLabels(index);
        if (!sameValues(previous, filled)) this.pushLabelsMemo(`fill-${this.id}-${index}`, index, previous, filled);
      },
    });
    group.addToolInstance(TOOL_INSTANCES.brush, BrushTool.toolName, { activeStrategy: 'FILL_INSIDE_CIRCLE' });
    group.addToolInstance(TOOL_INSTANCES.eraser, BrushTool.toolName, { activeStrategy: 'ERASE_INSIDE_CIRCLE' });
    group.addToolInstance(TOOL_INSTANCES.threshold, BrushTool.toolName, {
      activeStrategy: 'THRESHOLD_INSIDE_CIRCLE',
      threshold: { range: [100, 700], isDynamic: false },
    });
    for (const name of [
      CircleScissorsTool.toolName,
      UndoablePaintFillTool.toolName,
      PanTool.toolName,
      ZoomTool.toolName,
      WindowLevelTool.toolName,
      StackScrollTool.toolName,
    ])
      group.addTool(name);
    applyToolBindings(group, 'brush');
  }

  private async setupAnnotations(labels: PaletteLabel[]): Promise<void> {
    this.labels = labels;
    const images = imageLoader.createAndCacheDerivedLabelmapImages(this.imageIds, {
      getDerivedImageId: (referenced: string) => `${referenced}:annotation:${this.id}`,
    } as never);
    this.annotationImageIds = images.map((image) => image.imageId);
    // Load what is already annotated before showing it, so nothing flickers in later.
    await Promise.all(
      this.series.annotatedSlices.map(async (index) => {
        const values = await fetchAnnotation(this.series.id, index);
        if (values) {
          this.writeLabels(this.annotationImageIds[index], values);
          this.knownLabels.set(index, values);
        }
      }),
    );
    segmentation.addSegmentations([
      {
        segmentationId: ANNOTATION_SEGMENTATION + this.id,
        representation: { type: LABELMAP_TYPE, data: { imageIds: this.annotationImageIds } },
        config: { segments: this.segmentsConfig() },
      },
    ]);
    await segmentation.addLabelmapRepresentationToViewport(this.viewportId, [{ segmentationId: ANNOTATION_SEGMENTATION + this.id }]);
    segmentation.activeSegmentation.setActiveSegmentation(this.viewportId, ANNOTATION_SEGMENTATION + this.id);
    this.applyColors(ANNOTATION_SEGMENTATION + this.id);
    segmentation.config.style.setRenderInactiveSegmentations(this.viewportId, true);
  }

  /**
   * Every label as a segment of its own. Cornerstone shows, hides and styles only the
   * segments a segmentation declares (a labelmap declares segment 1 alone by default), so
   * hiding any other label did nothing.
   */
  private segmentsConfig(): Record<number, { label: string }> {
    return Object.fromEntries(this.labels.map((label, i) => [i + 1, { label: label.name }]));
  }

  private applyColors(segmentationId: string): void {
    this.labels.forEach((label, i) => {
      const [r, g, b] = hexColor(label.color);
      segmentation.config.color.setSegmentIndexColor(this.viewportId, segmentationId, i + 1, [r, g, b, 255]);
    });
  }

  /** Label values → segment indices, into a labelmap image. */
  private writeLabels(labelmapImageId: string, values: Uint16Array): void {
    const image = cache.getImage(labelmapImageId);
    if (!image?.voxelManager) return;
    const indexOf = new Map(this.labels.map((l, i) => [l.value, i + 1]));
    const data = image.voxelManager.getScalarData() as Uint8Array;
    for (let i = 0; i < data.length; i++) data[i] = values[i] ? (indexOf.get(values[i]) ?? 0) : 0;
  }

  /** Segment indices → label values of one annotated slice. */
  readLabels(index: number): Uint16Array {
    const image = cache.getImage(this.annotationImageIds[index]);
    const data = (image?.voxelManager?.getScalarData() ?? new Uint8Array(this.series.rows * this.series.cols)) as Uint8Array;
    const out = new Uint16Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data[i] ? (this.labels[data[i] - 1]?.value ?? 0) : 0;
    return out;
  }

  /**
   * Reports a slice whose labels differ from what was last loaded or reported: Cornerstone
   * also fires "modified" when a representation is added or restyled, and those must
   * not turn into saves.
   */
  private reportEdit(index: number): void {
    const labels = this.readLabels(index);
    const known = this.knownLabels.get(index);
    const unchanged = known ? sameValues(known, labels) : labels.every((v) => v === 0);
    if (unchanged) return;
    this.knownLabels.set(index, labels);
    this.callbacks.onAnnotationEdited(index, labels);
  }

  get sliceIndex(): number {
    return this.viewport.getCurrentImageIdIndex();
  }

  async goToSlice(index: number): Promise<void> {
    const clamped = Math.min(Math.max(0, index), this.imageIds.length - 1);
    if (clamped === this.viewport.getCurrentImageIdIndex()) return;
    this.speedMarks?.sliceRequested();
    await this.viewport.setImageIdIndex(clamped);
  }

  setTool(tool: ToolName): void {
    const group = ToolGroupManager.getToolGroup(this.toolGroupId);
    if (group) applyToolBindings(group, tool);
  }

  setBrushRadiusMm(radiusMm: number): void {
    for (const tool of [TOOL_INSTANCES.brush, TOOL_INSTANCES.eraser, TOOL_INSTANCES.threshold]) {
      ToolGroupManager.getToolGroup(this.toolGroupId)?.setToolConfiguration(tool, { brushSize: radiusMm });
    }
  }

  setActiveLabel(value: number): void {
    const index = this.labels.findIndex((l) => l.value === value);
    if (index >= 0) segmentation.segmentIndex.setActiveSegmentIndex(ANNOTATION_SEGMENTATION + this.id, index + 1);
  }

  /** center/width in HU; width 0 = the slice's own range (MR, unknown units). */
  setWindow(center: number, width: number): void {
    if (width <= 0) {
      this.viewport.resetProperties();
    } else {
      this.viewport.setProperties({ voiRange: { lower: center - width / 2, upper: center + width / 2 } });
    }
    this.viewport.render();
  }

  resetView(): void {
    this.viewport.resetCamera();
    this.viewport.render();
  }

  get canUndo(): boolean {
    return utilities.HistoryMemo.DefaultHistoryMemo.canUndo;
  }

  get canRedo(): boolean {
    return utilities.HistoryMemo.DefaultHistoryMemo.canRedo;
  }

  undo(): void {
    utilities.HistoryMemo.DefaultHistoryMemo.undo();
    this.afterHistory();
  }

  redo(): void {
    utilities.HistoryMemo.DefaultHistoryMemo.redo();
    this.afterHistory();
  }

  /** An undo/redo may restore a slice other than the one on screen: every edited slice is checked. */
  private afterHistory(): void {
    this.viewport.render();
    const slices = new Set([...this.knownLabels.keys(), this.viewport.getCurrentImageIdIndex()]);
    for (const index of slices) this.reportEdit(index);
  }

  /**
   * Replaces a slice's annotation (a prediction accepted as-is becomes the annotation);
   * undoable like a stroke.
   */
  setAnnotation(index: number, values: Uint16Array): void {
    const previous = this.readLabels(index);
    this.applyLabels(index, values);
    this.pushLabelsMemo(`accept-${this.id}-${index}`, index, previous, values);
  }

  /** Writes a slice's labels as an edit of its own (saved, rendered). */
  private applyLabels(index: number, labels: Uint16Array): void {
    this.suppressEdits = true;
    try {
      this.writeLabels(this.annotationImageIds[index], labels);
      segmentation.triggerSegmentationEvents.triggerSegmentationDataModified(ANNOTATION_SEGMENTATION + this.id);
    } finally {
      this.suppressEdits = false;
    }
    this.reportEdit(index);
    this.viewport.render();
  }

  /** An undo step that sets one slice's labels back to `before` (and forward to `after`). */
  private pushLabelsMemo(id: string, index: number, before: Uint16Array, after: Uint16Array): void {
    utilities.HistoryMemo.DefaultHistoryMemo.push({
      id,
      operationType: 'labelmap',
      restoreMemo: (undo) => !this.destroyed && this.applyLabels(index, undo ? before : after),
    });
  }

  /** Shows a segmentation model's predictions (null hides them); slices load as they are shown. */
  async showPredictions(model: string | null): Promise<void> {
    if (model === this.predictionModel) return;
    const segmentationId = PREDICTION_SEGMENTATION + this.id;
    if (this.predictionModel !== null) {
      segmentation.removeSegmentationRepresentation(this.viewportId, { segmentationId, type: LABELMAP_TYPE });
      segmentation.removeSegmentation(segmentationId);
    }
    this.predictionModel = model;
    this.predictionLoaded.clear();
    if (model === null) {
      this.viewport.render();
      return;
    }
    if (this.predictionImageIds.length === 0) {
      const images = imageLoader.createAndCacheDerivedLabelmapImages(this.imageIds, {
        getDerivedImageId: (referenced: string) => `${referenced}:prediction:${this.id}`,
      } as never);
      this.predictionImageIds = images.map((image) => image.imageId);
    } else {
      for (const id of this.predictionImageIds) (cache.getImage(id)?.voxelManager?.getScalarData() as Uint8Array | undefined)?.fill(0);
    }
    segmentation.addSegmentations([
      {
        segmentationId,
        representation: { type: LABELMAP_TYPE, data: { imageIds: this.predictionImageIds } },
        config: { segments: this.segmentsConfig() },
      },
    ]);
    await segmentation.addLabelmapRepresentationToViewport(this.viewportId, [{ segmentationId }]);
    this.applyColors(segmentationId);
    // Editing stays on the annotations; predictions are only shown.
    segmentation.activeSegmentation.setActiveSegmentation(this.viewportId, ANNOTATION_SEGMENTATION + this.id);
    await this.loadPredictionSlice(this.viewport.getCurrentImageIdIndex());
  }

  private async loadPredictionSlice(index: number): Promise<void> {
    const model = this.predictionModel;
    if (model === null || this.predictionLoaded.has(index)) return;
    this.predictionLoaded.add(index);
    const values = await fetchPrediction(this.series.id, model, index);
    if (!values || model !== this.predictionModel || this.destroyed) return;
    this.writeLabels(this.predictionImageIds[index], values);
    segmentation.triggerSegmentationEvents.triggerSegmentationDataModified(PREDICTION_SEGMENTATION + this.id);
    this.viewport.render();
  }

  /** The current slice's prediction, as label values (to accept it as the annotation). */
  async predictionAt(index: number): Promise<Uint16Array | null> {
    return this.predictionModel ? fetchPrediction(this.series.id, this.predictionModel, index) : null;
  }

  /**
   * Opacity applies to the predictions when they are shown (annotations then stay a faint
   * fill with a solid outline, so the two can be told apart), else to the annotations.
   */
  setOverlayStyle(opacity: number, hiddenLabels: number[]): void {
    const reviewing = this.predictionModel !== null;
    for (const segmentationId of [ANNOTATION_SEGMENTATION + this.id, PREDICTION_SEGMENTATION + this.id]) {
      const isPrediction = segmentationId.startsWith(PREDICTION_SEGMENTATION);
      if (isPrediction && !reviewing) continue;
      const fill = isPrediction || !reviewing ? opacity : Math.min(opacity, 0.15);
      const outline = isPrediction ? Math.min(1, opacity + 0.2) : 1;
      segmentation.config.style.setStyle(
        { viewportId: this.viewportId, segmentationId, type: LABELMAP_TYPE },
        {
          fillAlpha: fill,
          fillAlphaInactive: fill,
          outlineOpacity: outline,
          outlineOpacityInactive: outline,
          outlineWidthInactive: isPrediction ? 1 : 2,
        },
      );
      this.labels.forEach((label, i) => {
        segmentation.config.visibility.setSegmentIndexVisibility(
          this.viewportId,
          { segmentationId, type: LABELMAP_TYPE },
          i + 1,
          !hiddenLabels.includes(label.value),
        );
      });
    }
    this.viewport.render();
  }

  resize(): void {
    this.engine.resize(true, true);
  }

  destroy(): void {
    this.destroyed = true;
    clearHistory();
    for (const remove of this.removeListeners) remove();
    this.speedMarks?.dispose();
    // Representations leave the viewport before the viewport goes, then the rest.
    for (const id of [ANNOTATION_SEGMENTATION + this.id, PREDICTION_SEGMENTATION + this.id]) {
      try {
        segmentation.removeSegmentationRepresentation(this.viewportId, { segmentationId: id, type: LABELMAP_TYPE });
      } catch {
        // not shown
      }
    }
    this.engine.destroy();
    ToolGroupManager.destroyToolGroup(this.toolGroupId);
    fillHooks.delete(this.toolGroupId);
    for (const id of [ANNOTATION_SEGMENTATION + this.id, PREDICTION_SEGMENTATION + this.id]) {
      try {
        segmentation.removeSegmentation(id);
      } catch {
        // not added
      }
    }
    for (const id of [...this.annotationImageIds, ...this.predictionImageIds]) {
      try {
        cache.removeImageLoadObject(id);
      } catch {
        // already evicted by the cache
      }
    }
  }

  /** The threshold brush paints only pixels whose value (HU for CT) lies in [lower, upper]. */
  setThresholdRange(lower: number, upper: number): void {
    ToolGroupManager.getToolGroup(this.toolGroupId)?.setToolConfiguration(TOOL_INSTANCES.threshold, {
      threshold: { range: [lower, upper], isDynamic: false },
    });
  }
}

/**
 * Undo history is Cornerstone's one global ring; each series starts with an empty one (the
 * steps of a closed series point at labelmaps that are gone). Setting the size empties it.
 */
function clearHistory(): void {
  const history = utilities.HistoryMemo.DefaultHistoryMemo;
  history.size = history.size;
}

function sameValues(a: Uint16Array, b: Uint16Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function hexColor(color: string): [number, number, number] {
  const match = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  return match ? [parseInt(match[1], 16), parseInt(match[2], 16), parseInt(match[3], 16)] : [255, 0, 0];
}
