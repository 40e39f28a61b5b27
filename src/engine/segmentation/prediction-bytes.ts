import type { SeriesPrediction } from './predict.ts';

/**
 * A series' prediction as bytes, as a page's GPU worker uploads it:
 * u32 slices (LE) | f64 entropy × slices (LE) | u16 labels × slices·rows·cols (LE).
 * Labels are not float32 tensors, so this is not the checkpoint layout.
 */
export function encodePrediction(prediction: SeriesPrediction): Uint8Array {
  const slices = prediction.entropy.length;
  const out = new Uint8Array(4 + 8 * slices + 2 * prediction.labels.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, slices, true);
  prediction.entropy.forEach((h, k) => view.setFloat64(4 + 8 * k, h, true));
  out.set(new Uint8Array(prediction.labels.buffer, prediction.labels.byteOffset, prediction.labels.byteLength), 4 + 8 * slices);
  return out;
}

/** Reads what encodePrediction wrote, checking it is a whole prediction of a slices × plane series. */
export function decodePrediction(bytes: Uint8Array, series: { slices: number; rows: number; cols: number }): SeriesPrediction {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const voxels = series.slices * series.rows * series.cols;
  if (bytes.length !== 4 + 8 * series.slices + 2 * voxels || view.getUint32(0, true) !== series.slices) {
    throw new Error(`the GPU worker's prediction is not one of ${series.slices} slices of ${series.rows} × ${series.cols}`);
  }
  const entropy = Array.from({ length: series.slices }, (_, k) => view.getFloat64(4 + 8 * k, true));
  const labels = new Uint16Array(voxels);
  new Uint8Array(labels.buffer).set(bytes.subarray(4 + 8 * series.slices));
  return { labels, entropy };
}
