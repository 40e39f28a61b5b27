/**
 * Where the interface fetches pixel data, relative to the page: serve answers these
 * under HTTP, Electron's app protocol under the same paths, so the renderer needs no
 * transport-specific code to load a slice. Every answer is raw little-endian bytes,
 * row-major, with X-Rows / X-Cols headers:
 *   slices       float32 modality values (HU for CT)
 *   annotations  uint16 label values, 404 when the slice is not annotated
 *   predictions  uint16 label values of a segmentation model, 404 when none
 *   thumbnail    uint8 grey levels of the middle slice's preview (shared/thumbnail.ts)
 */
export const PIXEL_ROUTE_PREFIX = 'api/series/';

export function sliceUrl(seriesId: string, index: number): string {
  return `${PIXEL_ROUTE_PREFIX}${encodeURIComponent(seriesId)}/slices/${index}`;
}

export function annotationUrl(seriesId: string, index: number): string {
  return `${PIXEL_ROUTE_PREFIX}${encodeURIComponent(seriesId)}/annotations/${index}`;
}

export function predictionUrl(seriesId: string, model: string, index: number): string {
  return `${PIXEL_ROUTE_PREFIX}${encodeURIComponent(seriesId)}/predictions/${encodeURIComponent(model)}/${index}`;
}

export function thumbnailUrl(seriesId: string): string {
  return `${PIXEL_ROUTE_PREFIX}${encodeURIComponent(seriesId)}/thumbnail`;
}

export type PixelRoute =
  | { kind: 'slice'; seriesId: string; index: number }
  | { kind: 'annotation'; seriesId: string; index: number }
  | { kind: 'prediction'; seriesId: string; model: string; index: number }
  | { kind: 'thumbnail'; seriesId: string };

/** Parses a path after the prefix (e.g. "1.2.3/slices/4"); null when it is not a pixel route. */
export function parsePixelRoute(path: string): PixelRoute | null {
  const parts = path.split('/');
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return null;
    }
  };
  const index = (s: string | undefined) => (s !== undefined && /^\d{1,6}$/.test(s) ? Number(s) : null);
  const seriesId = decode(parts[0] ?? '');
  if (!seriesId) return null;
  if (parts.length === 2 && parts[1] === 'thumbnail') return { kind: 'thumbnail', seriesId };
  if (parts.length === 3 && parts[1] === 'slices' && index(parts[2]) !== null)
    return { kind: 'slice', seriesId, index: index(parts[2]) as number };
  if (parts.length === 3 && parts[1] === 'annotations' && index(parts[2]) !== null) {
    return { kind: 'annotation', seriesId, index: index(parts[2]) as number };
  }
  if (parts.length === 4 && parts[1] === 'predictions' && index(parts[3]) !== null) {
    const model = decode(parts[2]);
    if (!model) return null;
    return { kind: 'prediction', seriesId, model, index: index(parts[3]) as number };
  }
  return null;
}
