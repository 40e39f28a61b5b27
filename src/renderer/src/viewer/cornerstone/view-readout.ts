import { cache, utilities, type Types } from '@cornerstonejs/core';
import type { PatientVector } from '../../../../shared/series.ts';
import { orientationMarkers, type OrientationMarkers } from '../orientation.ts';

/** What a radiology viewer prints over the image: window, orientation, the value under the pointer. */
export interface ViewReadout {
  /** fromPreset: the window last set by a preset (false once dragged) */
  window: { width: number; center: number; fromPreset: boolean } | null;
  markers: OrientationMarkers | null;
  /** the pixel under the pointer: its value (HU for CT) and column/row (0-based) */
  cursor: { value: number; column: number; row: number } | null;
}

type Viewport = Types.IStackViewport | Types.IVolumeViewport;

export function readWindow(viewport: Viewport, presetRange: { lower: number; upper: number } | null): ViewReadout['window'] {
  const range = (viewport.getProperties() as { voiRange?: { lower: number; upper: number } }).voiRange;
  if (!range) return null;
  // Before any preset is applied (the series opening) the window counts as the preset's.
  const fromPreset = !presetRange || (Math.abs(range.lower - presetRange.lower) < 1e-6 && Math.abs(range.upper - presetRange.upper) < 1e-6);
  return { width: range.upper - range.lower, center: (range.upper + range.lower) / 2, fromPreset };
}

/** The patient directions of the screen's right and down, from the camera (whatever pan, zoom or flip). */
export function readMarkers(viewport: Viewport): OrientationMarkers | null {
  const canvas = viewport.canvas;
  const x = canvas.clientWidth / 2;
  const y = canvas.clientHeight / 2;
  const at = viewport.canvasToWorld([x, y]);
  const right = viewport.canvasToWorld([x + 1, y]);
  const down = viewport.canvasToWorld([x, y + 1]);
  const minus = (a: Types.Point3, b: Types.Point3): PatientVector => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
  const r = minus(right, at);
  const d = minus(down, at);
  if (!Math.hypot(...r) || !Math.hypot(...d)) return null;
  return orientationMarkers(r, d);
}

/** The value of the pixel under a canvas point (CSS px) of the image `imageId`, or null outside it. */
export function valueAt(viewport: Viewport, canvasPoint: Types.Point2, imageId: string): ViewReadout['cursor'] {
  const image = cache.getImage(imageId);
  if (!image) return null;
  const [col, row] = utilities.worldToImageCoords(imageId, viewport.canvasToWorld(canvasPoint)) ?? [-1, -1];
  const column = Math.floor(col);
  const r = Math.floor(row);
  if (column < 0 || r < 0 || column >= image.columns || r >= image.rows) return null;
  return { value: image.getPixelData()[r * image.columns + column], column, row: r };
}
