/**
 * DICOM patient geometry (LPS) to a NIfTI voxel→world affine (RAS).
 *
 * NIfTI's voxel axes here are i = column index, j = row index, k = slice index, with i
 * varying fastest in the file. A DICOM slice stored row-major (x fastest within a row)
 * already is i-fastest, so slices can be copied as they are, one after the other.
 */

export type Vec3 = [number, number, number];

export interface LpsGeometry {
  /** LPS mm of the centre of voxel (0, 0, 0): ImagePositionPatient of the first slice */
  origin: Vec3;
  /** unit vector along increasing column index i: ImageOrientationPatient[0..2] */
  rowDirection: Vec3;
  /** unit vector along increasing row index j: ImageOrientationPatient[3..5] */
  columnDirection: Vec3;
  /** unit vector along increasing slice index k (not necessarily row × column) */
  sliceDirection: Vec3;
  /** [column spacing (along i), row spacing (along j), slice spacing (along k)] in mm */
  spacing: Vec3;
}

/** 4×4 row-major matrix mapping (i, j, k, 1) to RAS mm. */
export function lpsGeometryToRasAffine(geometry: LpsGeometry): number[][] {
  const { origin, rowDirection, columnDirection, sliceDirection, spacing } = geometry;
  for (const [name, v] of [
    ['rowDirection', rowDirection],
    ['columnDirection', columnDirection],
    ['sliceDirection', sliceDirection],
  ] as const) {
    const length = Math.hypot(v[0], v[1], v[2]);
    if (!(Math.abs(length - 1) < 1e-3))
      throw new RangeError(`lpsGeometryToRasAffine: ${name} must be a unit vector, got [${v.join(', ')}]`);
  }
  if (!spacing.every((s) => Number.isFinite(s) && s > 0)) {
    throw new RangeError(`lpsGeometryToRasAffine: spacing must be positive, got [${spacing.join(', ')}]`);
  }
  // LPS → RAS flips the first two world axes.
  const flip = [-1, -1, 1];
  const columns = [rowDirection, columnDirection, sliceDirection];
  const affine: number[][] = [];
  for (let r = 0; r < 3; r++) {
    affine.push([
      flip[r] * columns[0][r] * spacing[0],
      flip[r] * columns[1][r] * spacing[1],
      flip[r] * columns[2][r] * spacing[2],
      flip[r] * origin[r],
    ]);
  }
  affine.push([0, 0, 0, 1]);
  // Flipping zeros makes -0, which deep-equality checks (Object.is) tell apart from 0.
  return affine.map((row) => row.map((v) => (v === 0 ? 0 : v)));
}
