/**
 * Label maps between a series' resolution and the network's: nearest-neighbour for
 * labels (a label is a category, never interpolated), with the same half-pixel-centre
 * convention as the bilinear image resize, so pixels line up. Layout: rows × cols,
 * row-major, like a slice.
 */
export function resizeLabelsNearest(src: Uint16Array, rows: number, cols: number, outRows: number, outCols: number): Uint16Array {
  if (src.length !== rows * cols) throw new Error(`resizeLabelsNearest: ${src.length} values for a ${rows}×${cols} map`);
  const out = new Uint16Array(outRows * outCols);
  for (let y = 0; y < outRows; y++) {
    const sy = Math.min(rows - 1, Math.floor(((y + 0.5) * rows) / outRows));
    for (let x = 0; x < outCols; x++) {
      const sx = Math.min(cols - 1, Math.floor(((x + 0.5) * cols) / outCols));
      out[y * outCols + x] = src[sy * cols + sx];
    }
  }
  return out;
}

/** Label values → class indices (position in `classes`; classes[0] is background 0). Unknown values become background. */
export function toClassIndices(labels: Uint16Array, classes: number[]): Uint8Array {
  if (classes.length > 256) throw new Error(`at most 256 classes, got ${classes.length}`);
  const index = new Map(classes.map((v, i) => [v, i]));
  const out = new Uint8Array(labels.length);
  for (let p = 0; p < labels.length; p++) out[p] = index.get(labels[p]) ?? 0;
  return out;
}

/** The classes a model learns: background, then every label value present, ascending. */
export function classesOf(maps: Iterable<Uint16Array>): number[] {
  const present = new Set<number>();
  for (const m of maps) for (let p = 0; p < m.length; p++) if (m[p] !== 0) present.add(m[p]);
  return [0, ...[...present].sort((a, b) => a - b)];
}
