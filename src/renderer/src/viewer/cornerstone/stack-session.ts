import { Enums, eventTarget, init as initCore, RenderingEngine, utilities, cache, type Types } from '@cornerstonejs/core';
import {
  addTool,
  BrushTool,
  CircleScissorsTool,
  Enums as ToolEnums,
  init as initTools,
  PanTool,
  ReferenceLinesTool,
  segmentation,
  StackScrollTool,
  ToolGroupManager,
  WindowLevelTool,
  ZoomTool,
} from '@cornerstonejs/tools';
import type { PaletteLabel } from '../../../../shared/api.ts';
import type { SeriesInfo, SeriesPlane } from '../../../../shared/series.ts';
import { fetchAnnotation } from '../../api/pixels.ts';
import { recordMeasure, SPEED_MEASURES } from '../speed-measures.ts';
import type { ToolName } from '../tools.ts';
import { connectedRegion, hexColor, LabelMapping, sameValues } from './label-mapping.ts';
import { labelmapData, labelmapHistory, recordLabelmapEdit } from './labelmap-history.ts';
import { createLabelmapImages } from './labelmap-images.ts';
import { applyLabelmapStyle, type LabelmapStyle } from './labelmap-style.ts';
import { PredictionOverlay } from './prediction-overlay.ts';
import { limitSoftwareRenderResolution } from './render-resolution.ts';
import { imageIdsFor, registerSliceImages } from './slice-images.ts';
import { ViewportSpeedMarks } from './speed-marks.ts';
import { readMarkers, readWindow, valueAt, type ViewReadout } from './view-readout.ts';
import { autoWindow, type AnatomicalPlane, type OrientationMarkers } from '../orientation.ts';
import { QuietPeriod } from '../quiet-period.ts';
import { TAKE_TOOL_NAME, TakeRegionTool, type TakeRegionConfiguration } from './take-region-tool.ts';
import { applyToolBindings, TOOL_INSTANCES } from './tool-group-bindings.ts';
import { UndoableFillTool } from './undoable-fill-tool.ts';
import { LocateTool } from './locate-tool.ts';
import { OrthogonalViews, type ReformatElements } from './orthogonal-views.ts';

/**
 * One series on screen: Cornerstone's rendering engine, a stack viewport, a tool group,
 * the annotation labelmap being edited and the prediction overlay (prediction-overlay.ts).
 * Everything Cornerstone-owned lives here, outside Vue's reactivity (the component
 * holds this object with markRaw): Vue proxies would break Cornerstone's identity
 * checks and make every render walk huge typed arrays. It reports what changed through
 * its callbacks; it never touches a store.
 */
const LABELMAP = ToolEnums.SegmentationRepresentations.Labelmap;
/** How long the user leaves the acquisition view alone before the reformats are built. */
const PAUSE_BEFORE_REFORMATS_MS = 400;

let initialized: Promise<void> | null = null;
let sessionCount = 0;
/**
 * One rendering engine for every series opened in the page: a new engine is a new WebGL
 * context, whose shaders compile again (on software WebGL about a tenth of a second of
 * every open). A session enables its viewport on it and disables it when it ends.
 */
let sharedEngine: RenderingEngine | null = null;
function renderingEngine(): RenderingEngine {
  if (!sharedEngine || sharedEngine.hasBeenDestroyed) sharedEngine = new RenderingEngine('ssmtl-engine');
  return sharedEngine;
}

function initializeCornerstone(): Promise<void> {
  initialized ??= (async () => {
    limitSoftwareRenderResolution();
    // One viewport on screen at a time: one WebGL context per rendering engine, not the
    // default pool of 7 (a browser keeps about 16 and drops the oldest, live or not).
    await initCore({ rendering: { webGlContextCount: 1 }, debug: {} });
    initTools();
    registerSliceImages();
    for (const tool of [
      BrushTool,
      CircleScissorsTool,
      UndoableFillTool,
      TakeRegionTool,
      PanTool,
      ZoomTool,
      WindowLevelTool,
      StackScrollTool,
      LocateTool,
      ReferenceLinesTool,
    ])
      addTool(tool);
  })();
  return initialized;
}

/**
 * Starts Cornerstone and its tools ahead of the first series (while the Library is on
 * screen). Not its WebGL context: a page holding one took 50 ms longer to reload (the
 * context is torn down first, with software WebGL), and making it ahead of time did not
 * make the first open faster (bench/README.md, 2026-12-02).
 */
export async function prepareViewer(): Promise<void> {
  await initializeCornerstone();
}

export interface SessionCallbacks {
  onSliceChange(index: number): void;
  /** a slice's annotation changed (a stroke, an undo, an accepted prediction): its label values, to be saved */
  onAnnotationEdited(index: number, labels: Uint16Array): void;
  /** what Undo and Redo can do changed */
  onHistoryChange(): void;
  /** the window, orientation letters or the value under the pointer changed */
  onReadout(readout: ViewReadout): void;
  /** the reformatted views: loading every slice, on screen, or not possible (why) */
  onReformats?(state: 'loading' | 'ready' | 'failed', message?: string): void;
  /** …and their orientation letters */
  onReformatMarkers?(plane: AnatomicalPlane, markers: OrientationMarkers | null): void;
}

export class StackSession {
  private readonly id = ++sessionCount;
  private readonly engine: RenderingEngine;
  readonly viewportId: string;
  private readonly toolGroupId: string;
  private readonly imageIds: string[];
  private readonly annotationSegmentationId: string;
  private annotationImageIds: string[] = [];
  private readonly mapping: LabelMapping;
  private readonly overlay: PredictionOverlay;
  private suppressEdits = false;
  private readonly removeListeners: (() => void)[] = [];
  private destroyed = false;
  private speedMarks: ViewportSpeedMarks | null = null;
  /** each slice's labels as last loaded or reported */
  private readonly knownLabels = new Map<number, Uint16Array>();
  /**
   * Slices holding any label: there the annotation is what counts, and the prediction
   * stays hidden unless asked for (an erase would otherwise look undone by the prediction
   * under it). Undoing an accepted prediction brings it back.
   */
  private readonly annotatedSlices = new Set<number>();
  private predictionsEverywhere = false;
  private readout: ViewReadout = { window: null, markers: null, cursor: null };
  /** the window a preset set last (a drag departs from it) */
  private presetRange: { lower: number; upper: number } | null = null;
  private predictionsOnUnannotated = false;
  /** the two views across the slices (orthogonal-views.ts), once asked for */
  private reformats: OrthogonalViews | null = null;
  /** when the user last scrolled or painted here: the reformats are built in a pause */
  private readonly activity = new QuietPeriod();
  /** the slice asked for last, until it is on screen */
  private requestedIndex: number | null = null;

  private constructor(
    private readonly element: HTMLDivElement,
    readonly series: SeriesInfo & { plane?: SeriesPlane | null },
    labels: readonly PaletteLabel[],
    private readonly callbacks: SessionCallbacks,
    private readonly reformatElements: ReformatElements,
  ) {
    this.engine = renderingEngine();
    this.viewportId = `ssmtl-viewport-${this.id}`;
    this.toolGroupId = `ssmtl-tools-${this.id}`;
    this.annotationSegmentationId = `annotations-${this.id}`;
    this.imageIds = imageIdsFor(series);
    this.mapping = new LabelMapping(labels);
    this.overlay = new PredictionOverlay(
      {
        viewportId: this.viewportId,
        seriesId: series.id,
        imageIds: this.imageIds,
        currentSlice: () => (this.destroyed ? 0 : this.targetSliceIndex),
        shownOn: (index) => this.predictionShownOn(index),
        render: () => !this.destroyed && this.viewport.render(),
        modelShown: (mapping) => void (mapping ? this.reformats?.showPredictions(mapping) : this.reformats?.hidePredictions()),
        sliceWritten: (index, data) => this.reformats?.predictionChanged(index, data),
      },
      `predictions-${this.id}`,
    );
  }

  static async open(
    element: HTMLDivElement,
    series: SeriesInfo & { plane?: SeriesPlane | null },
    labels: readonly PaletteLabel[],
    startIndex: number,
    callbacks: SessionCallbacks,
    reformatElements: ReformatElements = {},
  ): Promise<StackSession> {
    const started = performance.now();
    await initializeCornerstone();
    const session = new StackSession(element, series, labels, callbacks, reformatElements);
    await session.start(Math.min(Math.max(0, startIndex), series.slices - 1));
    element.addEventListener(Enums.Events.IMAGE_RENDERED, () => recordMeasure(SPEED_MEASURES.openSeries, started), { once: true });
    // The acquisition view is on screen; the reformatted views follow once every slice is in.
    session.startReformats();
    return session;
  }

  private startReformats(): void {
    const plane = this.series.plane;
    const group = ToolGroupManager.getToolGroup(this.toolGroupId);
    if (!plane || plane.positions.length !== this.imageIds.length || !group || Object.keys(this.reformatElements).length === 0) return;
    this.callbacks.onReformats?.('loading');
    const reformats = new OrthogonalViews(
      {
        engine: this.engine,
        mainViewportId: this.viewportId,
        mainToolGroup: group,
        imageIds: this.imageIds,
        plane,
        goToSlice: (index) => void this.goToSlice(index),
        currentSlice: () => (this.destroyed ? 0 : this.targetSliceIndex),
        settled: () => this.activity.settled(PAUSE_BEFORE_REFORMATS_MS),
        markersChanged: (plane, markers) => this.callbacks.onReformatMarkers?.(plane, markers),
      },
      this.reformatElements,
      String(this.id),
    );
    this.reformats = reformats;
    reformats
      .start(this.mapping, this.annotatedSlices, (index) => labelmapData(this.annotationImageIds[index]))
      .then(async () => {
        if (this.destroyed) return;
        const range = this.voiRange;
        if (range) reformats.setVoiRange(range);
        this.callbacks.onReformats?.('ready');
        if (this.overlay.shownModel !== null) await this.overlay.refreshAll();
      })
      .catch((error: unknown) => {
        if (!this.destroyed) this.callbacks.onReformats?.('failed', error instanceof Error ? error.message : String(error));
      });
  }

  private get viewport(): Types.IStackViewport {
    return this.engine.getViewport(this.viewportId) as Types.IStackViewport;
  }

  /** The window on screen, as a value range (what the reformatted views copy). */
  private get voiRange(): { lower: number; upper: number } | undefined {
    return (this.viewport.getProperties() as { voiRange?: { lower: number; upper: number } }).voiRange;
  }

  private async start(startIndex: number): Promise<void> {
    labelmapHistory.clear();
    this.engine.enableElement({
      viewportId: this.viewportId,
      type: Enums.ViewportType.STACK,
      element: this.element,
      defaultOptions: { background: [0, 0, 0] },
    });
    await Promise.all([this.viewport.setStack(this.imageIds, startIndex), this.loadAnnotations()]);
    this.setupTools();
    await this.showAnnotations();
    this.listen(this.element, 'wheel', () => this.activity.touch());
    this.listen(this.element, 'pointermove', (event) => {
      if ((event as PointerEvent).buttons !== 0) this.activity.touch();
    });
    this.listen(this.element, Enums.Events.STACK_NEW_IMAGE, () => {
      this.activity.touch();
      const index = this.viewport.getCurrentImageIdIndex();
      this.callbacks.onSliceChange(index);
      void this.overlay.refresh(index);
    });
    this.listen(eventTarget, ToolEnums.Events.SEGMENTATION_DATA_MODIFIED, (event) => {
      const detail = (event as CustomEvent<{ segmentationId: string }>).detail;
      if (detail.segmentationId === this.annotationSegmentationId && !this.suppressEdits && !this.destroyed)
        this.reportEdit(this.viewport.getCurrentImageIdIndex());
    });
    this.speedMarks = new ViewportSpeedMarks(this.element, () => this.viewport.getCurrentImageIdIndex());
    this.listenForReadouts();
    this.viewport.render();
  }

  /** The window, the orientation letters and the value under the pointer, as they change. */
  private listenForReadouts(): void {
    const update = (changes: Partial<ViewReadout>) => {
      this.readout = { ...this.readout, ...changes };
      this.callbacks.onReadout(this.readout);
    };
    this.listen(this.element, Enums.Events.VOI_MODIFIED, () => {
      update({ window: readWindow(this.viewport, this.presetRange) });
      const range = this.voiRange;
      if (range) this.reformats?.setVoiRange(range);
    });
    this.listen(this.element, Enums.Events.CAMERA_MODIFIED, () => update({ markers: readMarkers(this.viewport) }));
    this.listen(this.element, Enums.Events.IMAGE_RENDERED, () => {
      if (!this.readout.markers || !this.readout.window)
        update({ markers: readMarkers(this.viewport), window: readWindow(this.viewport, this.presetRange) });
    });
    this.listen(this.element, 'mousemove', (event) => {
      const rect = this.viewport.canvas.getBoundingClientRect();
      const { clientX, clientY } = event as MouseEvent;
      const index = this.viewport.getCurrentImageIdIndex();
      update({ cursor: valueAt(this.viewport, [clientX - rect.left, clientY - rect.top], this.imageIds[index]) });
    });
    this.listen(this.element, 'mouseleave', () => update({ cursor: null }));
  }

  private listen(target: EventTarget, type: string, listener: (event: Event) => void): void {
    target.addEventListener(type, listener);
    this.removeListeners.push(() => target.removeEventListener(type, listener));
  }

  private setupTools(): void {
    const group = ToolGroupManager.createToolGroup(this.toolGroupId);
    if (!group) throw new Error('could not create the viewer tool group');
    group.addViewport(this.viewportId, this.engine.id);
    group.addToolInstance(TOOL_INSTANCES.brush, BrushTool.toolName, { activeStrategy: 'FILL_INSIDE_CIRCLE' });
    group.addToolInstance(TOOL_INSTANCES.eraser, BrushTool.toolName, { activeStrategy: 'ERASE_INSIDE_CIRCLE' });
    group.addToolInstance(TOOL_INSTANCES.threshold, BrushTool.toolName, {
      activeStrategy: 'THRESHOLD_INSIDE_CIRCLE',
      threshold: { range: [100, 700], isDynamic: false },
    });
    const take: TakeRegionConfiguration = { take: (_viewportId, world) => void this.takeRegionAt(world) };
    group.addTool(TAKE_TOOL_NAME, take);
    for (const tool of [CircleScissorsTool, UndoableFillTool, PanTool, ZoomTool, WindowLevelTool, StackScrollTool])
      group.addTool(tool.toolName);
    applyToolBindings(group, 'brush');
  }

  /** Fetches what is already annotated, before anything is shown, so nothing flickers in later. */
  private async loadAnnotations(): Promise<void> {
    const images = createLabelmapImages(this.imageIds, (referenced) => `${referenced}:annotation:${this.id}`);
    this.annotationImageIds = images.map((image) => image.imageId);
    await Promise.all(
      this.series.annotatedSlices.map(async (index) => {
        const values = await fetchAnnotation(this.series.id, index);
        const data = labelmapData(this.annotationImageIds[index]);
        if (!values || !data) return;
        this.mapping.writeSegments(values, data);
        this.knownLabels.set(index, values);
        this.annotatedSlices.add(index);
      }),
    );
  }

  private async showAnnotations(): Promise<void> {
    segmentation.addSegmentations([
      {
        segmentationId: this.annotationSegmentationId,
        representation: { type: LABELMAP, data: { imageIds: this.annotationImageIds } },
        config: { segments: this.mapping.segmentsConfig() },
      },
    ]);
    await segmentation.addLabelmapRepresentationToViewport(this.viewportId, [{ segmentationId: this.annotationSegmentationId }]);
    segmentation.activeSegmentation.setActiveSegmentation(this.viewportId, this.annotationSegmentationId);
    this.mapping.labels.forEach((label, i) => {
      const [r, g, b] = hexColor(label.color);
      segmentation.config.color.setSegmentIndexColor(this.viewportId, this.annotationSegmentationId, i + 1, [r, g, b, 255]);
    });
    segmentation.config.style.setRenderInactiveSegmentations(this.viewportId, true);
  }

  /** Segment indices → label values of one slice's annotation. */
  readLabels(index: number): Uint16Array {
    const data = labelmapData(this.annotationImageIds[index]) ?? new Uint8Array(this.series.rows * this.series.cols);
    return this.mapping.toValues(data);
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
    this.reformats?.annotationChanged(index, labelmapData(this.annotationImageIds[index]));
    const annotated = labels.some((v) => v !== 0);
    if (annotated !== this.annotatedSlices.has(index)) {
      if (annotated) this.annotatedSlices.add(index);
      else this.annotatedSlices.delete(index);
      void this.overlay.refresh(index);
    }
    this.callbacks.onAnnotationEdited(index, labels);
  }

  get sliceIndex(): number {
    return this.viewport.getCurrentImageIdIndex();
  }

  /**
   * The slice the view is on its way to (the last one asked for), or the one on screen:
   * a key pressed again before the slice shows steps on from there, not from the old one.
   */
  get targetSliceIndex(): number {
    return this.requestedIndex ?? this.viewport.getCurrentImageIdIndex();
  }

  async goToSlice(index: number): Promise<void> {
    const clamped = Math.min(Math.max(0, index), this.imageIds.length - 1);
    if (clamped === this.targetSliceIndex) return;
    this.requestedIndex = clamped;
    this.speedMarks?.sliceRequested();
    try {
      await this.viewport.setImageIdIndex(clamped);
    } finally {
      if (this.requestedIndex === clamped) this.requestedIndex = null;
    }
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

  /** The threshold brush paints only pixels whose value (HU for CT) lies in [lower, upper]. */
  setThresholdRange(lower: number, upper: number): void {
    ToolGroupManager.getToolGroup(this.toolGroupId)?.setToolConfiguration(TOOL_INSTANCES.threshold, {
      threshold: { range: [lower, upper], isDynamic: false },
    });
  }

  setActiveLabel(value: number): void {
    const segment = this.mapping.segmentOf(value);
    if (segment) segmentation.segmentIndex.setActiveSegmentIndex(this.annotationSegmentationId, segment);
  }

  /** center/width in the series' units (HU for CT); width 0: the shown slice's 1st to 99th percentile; width < 0: as it is. */
  setWindow(center: number, width: number): void {
    if (width < 0) return;
    let voiRange = { lower: center - width / 2, upper: center + width / 2 };
    if (width === 0) {
      const image = cache.getImage(this.imageIds[this.viewport.getCurrentImageIdIndex()]);
      if (!image) return;
      voiRange = autoWindow(image.getPixelData());
    }
    this.presetRange = voiRange;
    this.viewport.setProperties({ voiRange });
    this.viewport.render();
  }

  resetView(): void {
    this.viewport.resetCamera();
    this.viewport.render();
  }

  get canUndo(): boolean {
    return labelmapHistory.canUndo;
  }

  get canRedo(): boolean {
    return labelmapHistory.canRedo;
  }

  undo(): void {
    labelmapHistory.undo();
    this.afterHistory();
  }

  redo(): void {
    labelmapHistory.redo();
    this.afterHistory();
  }

  /** An undo/redo may restore a slice other than the one on screen: every edited slice is checked. */
  private afterHistory(): void {
    this.viewport.render();
    const slices = new Set([...this.knownLabels.keys(), this.viewport.getCurrentImageIdIndex()]);
    for (const index of slices) this.reportEdit(index);
    this.callbacks.onHistoryChange();
  }

  /** Replaces a slice's annotation (a prediction accepted as it is), as one undoable edit. */
  setAnnotation(index: number, values: Uint16Array): void {
    const imageId = this.annotationImageIds[index];
    const data = labelmapData(imageId);
    if (!data) return;
    const before = data.slice();
    this.suppressEdits = true;
    try {
      this.mapping.writeSegments(values, data);
      segmentation.triggerSegmentationEvents.triggerSegmentationDataModified(this.annotationSegmentationId);
    } finally {
      this.suppressEdits = false;
    }
    if (!sameValues(before, data)) recordLabelmapEdit(this.annotationSegmentationId, imageId, before, data.slice());
    this.reportEdit(index);
    this.viewport.render();
    this.callbacks.onHistoryChange();
  }

  /** The slice's prediction by the model shown, as label values (to accept it). */
  predictionAt(index: number): Promise<Uint16Array | null> {
    return this.overlay.valuesAt(index);
  }

  /**
   * Takes the predicted region under a point (4-connected, one label) into the slice's
   * annotation, over whatever was there; one undoable edit. Returns how many pixels.
   */
  async takeRegionAt(world: Types.Point3): Promise<number> {
    const index = this.viewport.getCurrentImageIdIndex();
    const predicted = await this.overlay.valuesAt(index);
    if (!predicted || this.destroyed) return 0;
    const [col, row] = utilities.worldToImageCoords(this.imageIds[index], world) ?? [-1, -1];
    const x = Math.floor(col);
    const y = Math.floor(row);
    if (x < 0 || y < 0 || x >= this.series.cols || y >= this.series.rows) return 0;
    const region = connectedRegion(predicted, this.series.cols, this.series.rows, y * this.series.cols + x);
    if (region.length === 0) return 0;
    const values = this.readLabels(index);
    for (const p of region) values[p] = predicted[p];
    this.setAnnotation(index, values);
    return region.length;
  }

  private predictionShownOn(index: number): boolean {
    return this.predictionsEverywhere || (this.predictionsOnUnannotated && !this.annotatedSlices.has(index));
  }

  /**
   * Which slices show the model's prediction: `everywhere`, or only those not annotated
   * (where the annotation is what counts, so an erase shows as an erase).
   */
  async showPredictions(
    model: { name: string; labels: readonly PaletteLabel[] } | null,
    where: { everywhere: boolean; unannotated: boolean },
  ): Promise<void> {
    this.predictionsEverywhere = where.everywhere;
    this.predictionsOnUnannotated = where.unannotated;
    await this.overlay.show(model?.name ?? null, model?.labels ?? []);
    if (this.destroyed) return;
    // Editing stays on the annotations; predictions are only shown.
    segmentation.activeSegmentation.setActiveSegmentation(this.viewportId, this.annotationSegmentationId);
    // The reformatted views cut across every slice: then every slice is drawn.
    if (this.reformats?.isReady) await this.overlay.refreshAll();
    else await this.overlay.refresh(this.viewport.getCurrentImageIdIndex());
  }

  /**
   * Opacity applies to the annotations and the predictions; where both show on one slice
   * (show prediction here, the Take tool) the annotations are a faint fill with a solid
   * outline, so the two can be told apart. Hidden labels hide in both.
   */
  setOverlayStyle(opacity: number, hiddenLabels: readonly number[]): void {
    const overlapping = this.overlay.shownModel !== null && this.predictionsEverywhere;
    const fill = overlapping ? Math.min(opacity, 0.15) : opacity;
    const annotations: LabelmapStyle = { fill, outline: 1, outlineWidth: 2, hiddenLabels };
    applyLabelmapStyle(this.viewportId, this.annotationSegmentationId, this.mapping, annotations);
    this.overlay.setStyle(opacity, hiddenLabels);
    this.reformats?.setStyles(annotations, this.overlay.style(opacity, hiddenLabels));
    this.viewport.render();
  }

  resize(): void {
    this.engine.resize(true, true);
  }

  destroy(): void {
    this.destroyed = true;
    labelmapHistory.clear();
    for (const remove of this.removeListeners) remove();
    this.speedMarks?.dispose();
    // Representations leave the viewports before the viewports go, then the rest.
    this.overlay.detach();
    this.reformats?.destroy();
    try {
      segmentation.removeSegmentationRepresentation(this.viewportId, { segmentationId: this.annotationSegmentationId, type: LABELMAP });
    } catch {
      // not shown
    }
    this.engine.disableElement(this.viewportId);
    ToolGroupManager.destroyToolGroup(this.toolGroupId);
    this.overlay.dispose();
    try {
      segmentation.removeSegmentation(this.annotationSegmentationId);
    } catch {
      // not added
    }
    for (const id of this.annotationImageIds) {
      try {
        cache.removeImageLoadObject(id);
      } catch {
        // already evicted by the cache
      }
    }
  }
}
