import { cache, Enums, imageLoader, volumeLoader, type RenderingEngine, type Types } from '@cornerstonejs/core';
import {
  Enums as ToolEnums,
  PanTool,
  ReferenceLinesTool,
  StackScrollTool,
  ToolGroupManager,
  WindowLevelTool,
  ZoomTool,
  type Types as ToolTypes,
} from '@cornerstonejs/tools';
import type { SeriesPlane } from '../../../../shared/series.ts';
import { inBackground } from '../background-work.ts';
import type { AnatomicalPlane, OrientationMarkers } from '../orientation.ts';
import type { LabelMapping } from './label-mapping.ts';
import { LOCATE_TOOL_NAME, type LocateConfiguration } from './locate-tool.ts';
import type { LabelmapStyle } from './labelmap-style.ts';
import { ReformatLabelmap } from './reformat-labelmap.ts';
import { readMarkers } from './view-readout.ts';

const { Primary, Auxiliary, Secondary, Wheel } = ToolEnums.MouseBindings;

/** Reference lines: one tool instance per view whose plane is drawn in the others. */
const referenceLinesName = (sourceViewportId: string) => `SsmtlReferenceLines-${sourceViewportId}`;

export interface ReformatHost {
  engine: RenderingEngine;
  /** the acquisition-plane view (a stack viewport) and its tool group */
  mainViewportId: string;
  mainToolGroup: ToolTypes.IToolGroup;
  imageIds: string[];
  plane: SeriesPlane;
  /** moves the acquisition view to a slice */
  goToSlice(index: number): void;
  /** the slice the acquisition view is on (or on its way to): its neighbours load first */
  currentSlice(): number;
  /** resolves once the user has paused in the acquisition view (the views are built then) */
  settled(): Promise<void>;
  /** a reformatted view's orientation letters changed (it opened, panned, zoomed or flipped) */
  markersChanged(plane: AnatomicalPlane, markers: OrientationMarkers | null): void;
}

export type ReformatElements = Partial<Record<AnatomicalPlane, HTMLDivElement>>;

/**
 * The two views orthogonal to the acquisition plane: Cornerstone volume viewports on a
 * volume made of the series' slice images, with the annotations and the predictions
 * drawn over them (reformat-labelmap.ts) and crosshairs: each view shows the other views'
 * planes as lines (Cornerstone's reference lines), and a click or drag in a reformatted
 * view puts the crosshair there (the acquisition view goes to that slice, the other view
 * to the plane through the point). Painting stays in the acquisition view, where the
 * slices were acquired and are saved: these views have no editing tool.
 */
export class OrthogonalViews {
  private readonly toolGroupId: string;
  private readonly volumeId: string;
  private readonly viewportIds: string[] = [];
  private readonly removers: (() => void)[] = [];
  private annotations: ReformatLabelmap | null = null;
  private predictions: ReformatLabelmap | null = null;
  private predictionsWanted: LabelMapping | null = null;
  private styles: { annotations: LabelmapStyle; predictions: LabelmapStyle } | null = null;
  private ready = false;
  private predictionCount = 0;
  private destroyed = false;

  constructor(
    private readonly host: ReformatHost,
    private readonly elements: ReformatElements,
    private readonly id: string,
  ) {
    this.toolGroupId = `ssmtl-reformat-tools-${id}`;
    this.volumeId = `ssmtl-volume-${id}`;
  }

  get isReady(): boolean {
    return this.ready;
  }

  /**
   * Loads every slice, builds the volume and shows the views with the annotations (the
   * acquisition view is on screen meanwhile). `annotatedSlices` (kept up to date by the
   * session) and `annotationSlice` give the painted slices' segment indices for the first
   * picture.
   */
  async start(
    annotationMapping: LabelMapping,
    annotatedSlices: ReadonlySet<number>,
    annotationSlice: (index: number) => Uint8Array | null,
  ): Promise<void> {
    // A few slices at a time: the acquisition view's own slices (a scroll, the next series) go first.
    const loaded = await inBackground(
      this.host.imageIds,
      (imageId) => imageLoader.loadAndCacheImage(imageId),
      () => this.destroyed,
      { around: () => this.host.currentSlice() },
    );
    if (!loaded) return;
    // Building the volume and its views holds the page (about a second on software WebGL):
    // not in the middle of a scroll or a stroke.
    await this.host.settled();
    if (this.destroyed) return;
    volumeLoader.createAndCacheVolumeFromImagesSync(this.volumeId, this.host.imageIds);
    for (const [plane, element] of Object.entries(this.elements) as [AnatomicalPlane, HTMLDivElement][]) {
      const viewportId = `ssmtl-${plane}-${this.id}`;
      this.host.engine.enableElement({
        viewportId,
        type: Enums.ViewportType.ORTHOGRAPHIC,
        element,
        defaultOptions: { orientation: plane as Enums.OrientationAxis, background: [0, 0, 0] },
      });
      this.viewportIds.push(viewportId);
    }
    await Promise.all(this.viewportIds.map((viewportId) => this.volumeViewport(viewportId).setVolumes([{ volumeId: this.volumeId }])));
    if (this.destroyed) return;
    this.setupTools();
    this.reportMarkers();
    const annotations = await ReformatLabelmap.create(
      `reformat-annotations-${this.id}`,
      this.viewportIds,
      annotationMapping,
      this.volumeId,
    );
    if (this.destroyed) return annotations.remove();
    this.annotations = annotations;
    // Only the annotated slices are copied: testing all 200 labelmaps for a painted voxel
    // took 135 ms of this task.
    for (const index of annotatedSlices) this.annotations.copySlice(this.host.imageIds[index], annotationSlice(index));
    this.ready = true;
    if (this.predictionsWanted) await this.showPredictions(this.predictionsWanted);
    if (this.styles) this.setStyles(this.styles.annotations, this.styles.predictions);
    this.centreOnSlice();
    this.render();
  }

  private volumeViewport(viewportId: string): Types.IVolumeViewport {
    return this.host.engine.getViewport(viewportId) as Types.IVolumeViewport;
  }

  private setupTools(): void {
    const group = ToolGroupManager.createToolGroup(this.toolGroupId);
    if (!group) throw new Error('could not create the reformatted views tool group');
    for (const viewportId of this.viewportIds) group.addViewport(viewportId, this.host.engine.id);
    const locate: LocateConfiguration = { locate: (viewportId, world) => this.locate(viewportId, world) };
    group.addTool(LOCATE_TOOL_NAME, locate);
    for (const tool of [PanTool, ZoomTool, StackScrollTool, WindowLevelTool]) group.addTool(tool.toolName);
    group.setToolActive(LOCATE_TOOL_NAME, { bindings: [{ mouseButton: Primary }] });
    group.setToolActive(PanTool.toolName, { bindings: [{ mouseButton: Auxiliary }] });
    group.setToolActive(ZoomTool.toolName, { bindings: [{ mouseButton: Secondary }] });
    group.setToolActive(StackScrollTool.toolName, { bindings: [{ mouseButton: Wheel }] });
    // Each view's plane drawn in the others: the acquisition view's in both reformats, each
    // reformat's in the acquisition view and in the other reformat.
    for (const source of [this.host.mainViewportId, ...this.viewportIds]) {
      const name = referenceLinesName(source);
      for (const target of [group, this.host.mainToolGroup]) {
        if (target === this.host.mainToolGroup && source === this.host.mainViewportId) continue;
        target.addToolInstance(name, ReferenceLinesTool.toolName, { sourceViewportId: source });
        target.setToolEnabled(name);
      }
    }
    // Reference lines follow their source's camera; for a source in another tool group
    // they are told (a new slice in the acquisition view, a new plane in a reformat).
    for (const viewportId of [this.host.mainViewportId, ...this.viewportIds]) {
      const refresh = () => this.refreshReferenceLines(viewportId);
      const element = this.host.engine.getViewport(viewportId).element;
      for (const type of [Enums.Events.CAMERA_MODIFIED, Enums.Events.STACK_NEW_IMAGE]) {
        element.addEventListener(type, refresh);
        this.removers.push(() => element.removeEventListener(type, refresh));
      }
    }
  }

  /** Each view's orientation letters, now and whenever its camera moves. */
  private reportMarkers(): void {
    for (const plane of Object.keys(this.elements) as AnatomicalPlane[]) {
      const viewport = this.volumeViewport(`ssmtl-${plane}-${this.id}`);
      const report = () => this.host.markersChanged(plane, readMarkers(viewport));
      viewport.element.addEventListener(Enums.Events.CAMERA_MODIFIED, report);
      this.removers.push(() => viewport.element.removeEventListener(Enums.Events.CAMERA_MODIFIED, report));
      report();
    }
  }

  /**
   * Redraws the lines of one view's plane in the others, from its camera. The tools follow
   * cameras in their own tool group only; these cross groups, so they are told. Only the
   * lines are redrawn (Cornerstone's setToolConfiguration would also re-render every view
   * of the group, a volume rendering per reformat at every scroll step).
   */
  private refreshReferenceLines(sourceViewportId: string): void {
    if (this.destroyed) return;
    const name = referenceLinesName(sourceViewportId);
    for (const group of [ToolGroupManager.getToolGroup(this.toolGroupId), this.host.mainToolGroup]) {
      // The acquisition view's group has no line of its own plane (asking would log a warning).
      if (!group?.hasTool(name)) continue;
      (group.getToolInstance(name) as { onSetToolConfiguration?: () => void }).onSetToolConfiguration?.();
    }
  }

  /** An acquisition slice's annotation changed (segment indices of the annotation mapping). */
  annotationChanged(index: number, data: Uint8Array | null): void {
    this.annotations?.copySlice(this.host.imageIds[index], data);
  }

  /** An acquisition slice's shown prediction changed (segment indices of the model's mapping). */
  predictionChanged(index: number, data: Uint8Array | null): void {
    this.predictions?.copySlice(this.host.imageIds[index], data);
  }

  /** Draws a model's predictions here too (its slices arrive through predictionChanged). */
  async showPredictions(mapping: LabelMapping): Promise<void> {
    this.hidePredictions();
    this.predictionsWanted = mapping;
    if (!this.ready) return;
    const predictions = await ReformatLabelmap.create(
      `reformat-predictions-${this.id}-${++this.predictionCount}`,
      this.viewportIds,
      mapping,
      this.volumeId,
    );
    // Hidden or replaced meanwhile, or the views are gone.
    if (this.predictionsWanted !== mapping || this.destroyed) return predictions.remove();
    this.predictions = predictions;
    if (this.styles) predictions.setStyle(this.styles.predictions);
  }

  hidePredictions(): void {
    this.predictionsWanted = null;
    this.predictions?.remove();
    this.predictions = null;
  }

  /** Opacity and hidden labels as in the acquisition view. */
  setStyles(annotations: LabelmapStyle, predictions: LabelmapStyle): void {
    this.styles = { annotations, predictions };
    this.annotations?.setStyle(annotations);
    this.predictions?.setStyle(predictions);
    this.render();
  }

  /** The same window as the acquisition view. */
  setVoiRange(voiRange: { lower: number; upper: number }): void {
    if (!this.ready) return;
    for (const viewportId of this.viewportIds) this.volumeViewport(viewportId).setProperties({ voiRange });
    this.render();
  }

  /** Puts the crosshair point at `world`: the acquisition view shows its slice, every other reformat its plane. */
  private locate(fromViewportId: string, world: Types.Point3): void {
    for (const viewportId of this.viewportIds) if (viewportId !== fromViewportId) this.planeThrough(viewportId, world);
    const { normal, positions } = this.host.plane;
    const along = world[0] * normal[0] + world[1] * normal[1] + world[2] * normal[2];
    let nearest = 0;
    for (let k = 1; k < positions.length; k++) if (Math.abs(positions[k] - along) < Math.abs(positions[nearest] - along)) nearest = k;
    this.host.goToSlice(nearest);
  }

  private planeThrough(viewportId: string, world: Types.Point3): void {
    const viewport = this.volumeViewport(viewportId);
    const { focalPoint, position, viewPlaneNormal: n } = viewport.getCamera();
    if (!focalPoint || !position || !n) return;
    const d = (world[0] - focalPoint[0]) * n[0] + (world[1] - focalPoint[1]) * n[1] + (world[2] - focalPoint[2]) * n[2];
    const shift = (p: Types.Point3): Types.Point3 => [p[0] + d * n[0], p[1] + d * n[1], p[2] + d * n[2]];
    viewport.setCamera({ focalPoint: shift(focalPoint), position: shift(position) });
    viewport.render();
  }

  /** At the start, the reformats cut through the middle of the acquisition view's slice. */
  private centreOnSlice(): void {
    const centre = this.host.engine.getViewport(this.host.mainViewportId).getCamera().focalPoint;
    if (centre) for (const viewportId of this.viewportIds) this.planeThrough(viewportId, centre);
  }

  render(): void {
    if (!this.ready || this.destroyed) return;
    for (const viewportId of this.viewportIds) this.host.engine.getViewport(viewportId)?.render();
  }

  /** Labelmaps, tools and listeners go before the viewports, then the viewports and the volume. */
  destroy(): void {
    this.destroyed = true;
    for (const remove of this.removers) remove();
    this.predictions?.remove();
    this.annotations?.remove();
    for (const source of [this.host.mainViewportId, ...this.viewportIds]) {
      const name = referenceLinesName(source);
      if (this.host.mainToolGroup.hasTool(name)) this.host.mainToolGroup.setToolDisabled(name);
    }
    ToolGroupManager.destroyToolGroup(this.toolGroupId);
    for (const viewportId of this.viewportIds) this.host.engine.disableElement(viewportId);
    try {
      cache.removeVolumeLoadObject(this.volumeId);
    } catch {
      // not made
    }
  }
}
