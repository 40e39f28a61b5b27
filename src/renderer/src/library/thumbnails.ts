import type { SeriesInfo } from '../../../shared/series.ts';
import { fetchSlice } from '../api/pixels.ts';
import { valueRange } from '../viewer/orientation.ts';

/** Thumbnails are drawn at most this many pixels a side (the Library shows them at 96 CSS px). */
const THUMBNAIL_SIDE = 128;

/**
 * Series' thumbnails, once made, for the page's lifetime: the middle slice windowed (CT
 * soft tissue, or the slice's own range for other modalities) and shrunk to at most
 * THUMBNAIL_SIDE a side (64 KB each, not a full slice). A series imported again with other
 * dimensions gets a new one.
 */
const made = new Map<string, Promise<ImageData>>();

export function thumbnailOf(series: SeriesInfo): Promise<ImageData> {
  const key = `${series.id}:${series.slices}:${series.rows}×${series.cols}`;
  let image = made.get(key);
  if (!image) {
    image = makeThumbnail(series);
    made.set(key, image);
    // A failed fetch may work later (a series being imported again).
    image.catch(() => made.delete(key));
  }
  return image;
}

/**
 * Calls `show` once `element` first scrolls into view. One observer for every thumbnail:
 * fifty observers made and fed one by one cost the reload a few milliseconds each.
 * Returns a function that stops watching (a thumbnail unmounted first).
 */
export function whenInView(element: Element, show: () => void): () => void {
  if (typeof IntersectionObserver === 'undefined') {
    show();
    return () => {};
  }
  visibility ??= new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      const waiting = waitingToShow.get(entry.target);
      stopWatching(entry.target);
      waiting?.();
    }
  });
  waitingToShow.set(element, show);
  visibility.observe(element);
  return () => stopWatching(element);
}

let visibility: IntersectionObserver | null = null;
const waitingToShow = new Map<Element, () => void>();

function stopWatching(element: Element): void {
  if (waitingToShow.delete(element)) visibility?.unobserve(element);
}

async function makeThumbnail(series: SeriesInfo): Promise<ImageData> {
  const values = await fetchSlice(series.id, Math.floor(series.slices / 2));
  const step = Math.max(1, Math.ceil(Math.max(series.rows, series.cols) / THUMBNAIL_SIDE));
  const width = Math.ceil(series.cols / step);
  const height = Math.ceil(series.rows / step);
  // Nearest sample of every step-th pixel: a preview, not a diagnostic image (and the
  // range of what is shown, not of every pixel: a quarter of the work for a 256² slice).
  const samples = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) samples[y * width + x] = values[y * step * series.cols + x * step];
  // CT in a soft-tissue window; anything else on its own range.
  const { min: low, max: high } = series.modality === 'CT' ? { min: -160, max: 240 } : valueRange(samples);
  const scale = 255 / Math.max(1e-6, high - low);
  const image = new ImageData(width, height);
  for (let i = 0; i < samples.length; i++) {
    const g = Math.max(0, Math.min(255, (samples[i] - low) * scale));
    image.data[4 * i] = image.data[4 * i + 1] = image.data[4 * i + 2] = g;
    image.data[4 * i + 3] = 255;
  }
  return image;
}
