import { valueRange } from './value-range.ts';

/** Thumbnails are at most this many pixels a side (the Library shows them at 96 CSS px). */
export const THUMBNAIL_SIDE = 128;

/** CT's soft-tissue window (HU), in which CT thumbnails are shown. */
const CT_SOFT_TISSUE = { min: -160, max: 240 };

export interface Thumbnail {
  /** grey levels, row-major */
  grey: Uint8Array;
  rows: number;
  cols: number;
}

/**
 * A slice's preview: every step-th pixel (nearest sample, at most THUMBNAIL_SIDE a side),
 * CT in a soft-tissue window and anything else on the range of what is shown. A preview,
 * not a diagnostic image: 16 KB for the Library to fetch instead of a 256 KB (or, at
 * 512², 1 MB) slice of float values.
 */
export function sliceThumbnail(values: ArrayLike<number>, rows: number, cols: number, modality: string | null): Thumbnail {
  const step = Math.max(1, Math.ceil(Math.max(rows, cols) / THUMBNAIL_SIDE));
  const width = Math.ceil(cols / step);
  const height = Math.ceil(rows / step);
  const samples = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) samples[y * width + x] = values[y * step * cols + x * step];
  const { min: low, max: high } = modality === 'CT' ? CT_SOFT_TISSUE : valueRange(samples);
  const scale = 255 / Math.max(1e-6, high - low);
  const grey = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) grey[i] = Math.max(0, Math.min(255, Math.round((samples[i] - low) * scale)));
  return { grey, rows: height, cols: width };
}
