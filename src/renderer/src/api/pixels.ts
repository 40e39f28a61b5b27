import { annotationUrl, predictionUrl, sliceUrl, thumbnailUrl } from '../../../shared/pixel-urls.ts';
import type { Thumbnail } from '../../../shared/thumbnail.ts';

/**
 * Pixel data by URL (shared/pixel-urls.ts): relative to the page, so the same code
 * reads serve's HTTP routes and Electron's app protocol.
 */
async function fetchAnswer(url: string): Promise<Response | null> {
  const response = await fetch(url, { credentials: 'same-origin', cache: 'no-store' });
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return response;
}

async function fetchBytes(url: string): Promise<ArrayBuffer | null> {
  return (await fetchAnswer(url))?.arrayBuffer() ?? null;
}

/** Modality values (HU for CT) of one slice, row-major. */
export async function fetchSlice(seriesId: string, index: number): Promise<Float32Array> {
  const bytes = await fetchBytes(sliceUrl(seriesId, index));
  if (!bytes) throw new Error(`slice ${index} of ${seriesId} is missing from the workspace`);
  return new Float32Array(bytes);
}

/** Label values of an annotated slice, or null when it has none. */
export async function fetchAnnotation(seriesId: string, index: number): Promise<Uint16Array | null> {
  const bytes = await fetchBytes(annotationUrl(seriesId, index));
  return bytes && new Uint16Array(bytes);
}

export async function fetchPrediction(seriesId: string, model: string, index: number): Promise<Uint16Array | null> {
  const bytes = await fetchBytes(predictionUrl(seriesId, model, index));
  return bytes && new Uint16Array(bytes);
}

/** A series' preview (shared/thumbnail.ts): grey levels, with its size from the answer's headers. */
export async function fetchThumbnail(seriesId: string): Promise<Thumbnail> {
  const url = thumbnailUrl(seriesId);
  const response = await fetchAnswer(url);
  if (!response) throw new Error(`${url}: no such series in the workspace`);
  const rows = Number(response.headers.get('X-Rows'));
  const cols = Number(response.headers.get('X-Cols'));
  const grey = new Uint8Array(await response.arrayBuffer());
  if (!(rows > 0 && cols > 0) || grey.length !== rows * cols) throw new Error(`${url}: not a ${cols} × ${rows} thumbnail`);
  return { grey, rows, cols };
}
