/** Patient-space geometry (LPS, mm) of image planes, per PS3.3 C.7.6.2.1.1. */

export type Vec3 = [number, number, number];

export function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

export function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

export function subtract(a: Vec3, b: Vec3): Vec3 {
  return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
}

export function norm(a: Vec3): number {
  return Math.hypot(a[0], a[1], a[2]);
}

export function normalize(a: Vec3): Vec3 {
  const length = norm(a);
  return length > 0 ? [a[0] / length, a[1] / length, a[2] / length] : [0, 0, 0];
}

/** The angle between two directions, in degrees (0 to 180). */
export function angleDegrees(a: Vec3, b: Vec3): number {
  const cosine = dot(normalize(a), normalize(b));
  return (Math.acos(Math.max(-1, Math.min(1, cosine))) * 180) / Math.PI;
}

/**
 * ImageOrientationPatient's two direction cosines: `row` points along a row (increasing
 * column index), `column` down a column (increasing row index).
 */
export interface PlaneOrientation {
  row: Vec3;
  column: Vec3;
}

export function sliceNormal(orientation: PlaneOrientation): Vec3 {
  return normalize(cross(orientation.row, orientation.column));
}

/** Two orientations describe the same plane direction within `toleranceDegrees`. */
export function sameOrientation(a: PlaneOrientation, b: PlaneOrientation, toleranceDegrees = 1): boolean {
  return angleDegrees(a.row, b.row) <= toleranceDegrees && angleDegrees(a.column, b.column) <= toleranceDegrees;
}

/** Human-readable name of the plane a slice lies in, for warnings. */
export function planeName(orientation: PlaneOrientation): string {
  const normal = sliceNormal(orientation).map(Math.abs);
  const axis = normal.indexOf(Math.max(...normal));
  return ['sagittal', 'coronal', 'axial'][axis] ?? 'oblique';
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
