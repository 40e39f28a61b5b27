import { lpsGeometryToRasAffine, type Vec3 } from '../../../formats/nifti/affine.ts';
import type { SeriesPlane } from '../../../shared/series.ts';
import type { SeriesRecord, Workspace } from '../workspace/workspace.ts';

export type { SeriesPlane };

/**
 * Where a series' voxels are: its voxel (i = column, j = row, k = slice) → RAS mm affine
 * (the NIfTI convention, for NIfTI export and for matching label volumes), and its plane
 * in DICOM's LPS (for matching DICOM SEG frames).
 */
export function seriesAffine(series: SeriesRecord): { affine: number[][]; exact: boolean } {
  const g = series.geometry;
  if (g.kind === 'nifti') return { affine: g.affine.map((row) => [...row]), exact: true };
  if (g.origin && g.rowDirection && g.columnDirection) {
    const slice = g.sliceDirection ?? cross(g.rowDirection, g.columnDirection);
    return {
      affine: lpsGeometryToRasAffine({
        origin: g.origin,
        rowDirection: g.rowDirection,
        columnDirection: g.columnDirection,
        sliceDirection: slice,
        spacing: series.spacing,
      }),
      exact: true,
    };
  }
  // No position in the source (e.g. secondary capture): a diagonal grid with the spacing.
  const [di, dj, dk] = series.spacing;
  return {
    affine: [
      [-di, 0, 0, 0],
      [0, -dj, 0, 0],
      [0, 0, dk, 0],
      [0, 0, 0, 1],
    ],
    exact: false,
  };
}

export function seriesPlane(workspace: Workspace, series: Pick<SeriesRecord, 'key' | 'slices' | 'geometry'>): SeriesPlane | null {
  const g = series.geometry;
  if (g.kind === 'dicom') {
    if (!g.rowDirection || !g.columnDirection) return null;
    const normal = normalize(cross(g.rowDirection, g.columnDirection));
    const positions = workspace.sliceStats(series.key).map((s) => s.position);
    const origins = positions.map((p) => (g.origin && g.sliceDirection ? projectOrigin(g.origin, g.sliceDirection, normal, p) : null));
    return { rowDirection: g.rowDirection, columnDirection: g.columnDirection, normal, positions, origins };
  }
  const a = g.affine;
  const toLps = (v: number[]): Vec3 => [-v[0], -v[1], v[2]];
  const column = (c: number): Vec3 => toLps([a[0][c], a[1][c], a[2][c]]);
  const rowDirection = normalize(column(0));
  const columnDirection = normalize(column(1));
  const normal = normalize(cross(rowDirection, columnDirection));
  const origins: Vec3[] = [];
  const positions: number[] = [];
  for (let k = 0; k < series.slices; k++) {
    const o = toLps([a[0][3] + k * a[0][2], a[1][3] + k * a[1][2], a[2][3] + k * a[2][2]]);
    origins.push(o);
    positions.push(dot(o, normal));
  }
  return { rowDirection, columnDirection, normal, positions, origins };
}

/** Slice k's first voxel, from slice 0's and the position along the normal (DICOM series). */
function projectOrigin(origin: Vec3, sliceDirection: Vec3, normal: Vec3, position: number): Vec3 {
  const along = dot(sliceDirection, normal) || 1;
  const t = (position - dot(origin, normal)) / along;
  return [origin[0] + t * sliceDirection[0], origin[1] + t * sliceDirection[1], origin[2] + t * sliceDirection[2]];
}

export function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

export function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

function normalize(v: Vec3): Vec3 {
  const n = Math.hypot(v[0], v[1], v[2]) || 1;
  return [v[0] / n, v[1] / n, v[2] / n];
}

/** Inverse of a 4×4 affine (rigid-plus-scale or any invertible one), by Gauss-Jordan. */
export function invert4(m: number[][]): number[][] {
  const a = m.map((row, r) => [...row, ...[0, 1, 2, 3].map((c) => (c === r ? 1 : 0))]);
  for (let c = 0; c < 4; c++) {
    let pivot = c;
    for (let r = c + 1; r < 4; r++) if (Math.abs(a[r][c]) > Math.abs(a[pivot][c])) pivot = r;
    if (Math.abs(a[pivot][c]) < 1e-12) throw new RangeError('affine is singular');
    [a[c], a[pivot]] = [a[pivot], a[c]];
    const p = a[c][c];
    for (let k = 0; k < 8; k++) a[c][k] /= p;
    for (let r = 0; r < 4; r++) {
      if (r === c) continue;
      const f = a[r][c];
      for (let k = 0; k < 8; k++) a[r][k] -= f * a[c][k];
    }
  }
  return a.map((row) => row.slice(4));
}

export function multiply4(a: number[][], b: number[][]): number[][] {
  return a.map((row) => [0, 1, 2, 3].map((c) => row.reduce((s, v, k) => s + v * b[k][c], 0)));
}
