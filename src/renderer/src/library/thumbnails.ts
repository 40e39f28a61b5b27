import type { SeriesInfo } from '../../../shared/series.ts';
import { fetchThumbnail } from '../api/pixels.ts';

/**
 * Series' thumbnails, once made, for the page's lifetime: the middle slice windowed (CT
 * soft tissue, or the slice's own range for other modalities) and shrunk by the engine
 * (shared/thumbnail.ts: at most 128 pixels a side, 16 KB to fetch, not a full slice). A
 * series imported again with other dimensions gets a new one.
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
  const { grey, rows, cols } = await fetchThumbnail(series.id);
  const image = new ImageData(cols, rows);
  for (let i = 0; i < grey.length; i++) {
    image.data[4 * i] = image.data[4 * i + 1] = image.data[4 * i + 2] = grey[i];
    image.data[4 * i + 3] = 255;
  }
  return image;
}
