import { writeFileSync } from 'node:fs';
import type { JobSummary } from '../../shared/api.ts';

/**
 * Synthetic sequences for tests and demos: a few soft blobs that drift and grow along the
 * slice axis, like organs through an axial CT — so that x_{j±t} is predictable from x_j.
 */
export function syntheticVolume(slices: number, rows: number, cols: number, seed = 1): Float32Array {
  const out = new Float32Array(slices * rows * cols);
  const blobs = [0, 1, 2].map((k) => ({
    cy: 0.3 + 0.2 * k + 0.05 * Math.sin(seed + k),
    cx: 0.35 + 0.15 * k,
    r: 0.12 + 0.03 * k,
    vy: 0.004 * (k - 1),
    vx: 0.003 * (1 - k) + 0.001 * seed,
    value: 200 + 300 * k,
  }));
  for (let z = 0; z < slices; z++) {
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) {
        let v = -1000 + 900 * Math.exp(-(((y / rows - 0.5) ** 2 + (x / cols - 0.5) ** 2) / 0.18));
        for (const b of blobs) {
          const r = b.r * (1 + 0.3 * Math.sin((z / slices) * Math.PI));
          const d2 = (y / rows - b.cy - b.vy * z) ** 2 + (x / cols - b.cx - b.vx * z) ** 2;
          v += b.value * Math.exp(-d2 / (r * r));
        }
        out[(z * rows + y) * cols + x] = v;
      }
    }
  }
  return out;
}

/** A minimal NIfTI-1 file (float32, 1 mm voxels) of a slices × rows × cols volume. */
export function writeNifti(path: string, volume: Float32Array, slices: number, rows: number, cols: number): void {
  const header = Buffer.alloc(352);
  header.writeInt32LE(348, 0);
  const dims = [3, cols, rows, slices, 1, 1, 1, 1];
  dims.forEach((d, i) => header.writeInt16LE(d, 40 + 2 * i));
  header.writeInt16LE(16, 70); // datatype float32
  header.writeInt16LE(32, 72); // bitpix
  [1, 1, 1, 1, 1, 1, 1, 1].forEach((p, i) => header.writeFloatLE(p, 76 + 4 * i));
  header.writeFloatLE(352, 108); // vox_offset
  header.writeFloatLE(1, 112); // scl_slope
  header.writeFloatLE(0, 116); // scl_inter
  header.writeInt8(10, 123); // xyzt_units: mm, s
  header.writeInt16LE(0, 252); // qform_code
  header.writeInt16LE(1, 254); // sform_code
  [
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
  ].forEach((row, r) => row.forEach((v, c) => header.writeFloatLE(v, 280 + 16 * r + 4 * c)));
  header.write('n+1\0', 344, 'latin1');
  // NIfTI's fastest axis is i (columns), then j (rows), then k (slices): our layout.
  writeFileSync(path, Buffer.concat([header, Buffer.from(volume.buffer, volume.byteOffset, volume.byteLength)]));
}

/** Polls a studio job until it has ended (done, failed or cancelled), as the interface would see it. */
export async function jobEnded(service: { listJobs(): Promise<JobSummary[]> }, job: JobSummary, pollMs = 50): Promise<JobSummary> {
  for (;;) {
    const now = (await service.listJobs()).find((j) => j.id === job.id) as JobSummary;
    if (['done', 'failed', 'cancelled'].includes(now.state)) return now;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
