/**
 * NIfTI-1 single-file writer (.nii, or .nii.gz with `gzip: true`).
 *
 * Both the sform and the qform carry the affine (code 1, scanner anatomical), because
 * readers differ in which one they trust: nibabel prefers the sform, ITK-based tools
 * the qform. Pure: bytes out, no file system.
 */
import { gzipSync } from 'fflate';

export type NiftiTypedArray = Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

export interface NiftiWriteOptions {
  /** voxel values, i fastest, then j, then k */
  data: NiftiTypedArray;
  /** number of voxels along i, j, k */
  dims: [number, number, number];
  /** voxel size along i, j, k in mm; must match the column lengths of `affine` */
  pixdim: [number, number, number];
  /** 4×4 row-major, voxel (i, j, k) → RAS mm */
  affine: number[][];
  /** up to 79 ASCII characters, stored in `descrip` */
  description?: string;
  /** 'label' marks a label volume (NIFTI_INTENT_LABEL); a number is stored as the intent code */
  intent?: 'none' | 'label' | number;
  /** gzip the result, as a .nii.gz file is */
  gzip?: boolean;
}

const HEADER_SIZE = 348;
/** header plus the four-byte extension flag (no extensions) */
const VOX_OFFSET = 352;
const NIFTI_INTENT_LABEL = 1002;
const NIFTI_XFORM_SCANNER_ANAT = 1;
const NIFTI_UNITS_MM = 2;

/** NIfTI-1 datatype codes and bits per voxel (nifti1.h). */
function datatypeOf(data: NiftiTypedArray): { code: number; bitpix: number } {
  if (data instanceof Uint8Array) return { code: 2, bitpix: 8 };
  if (data instanceof Int16Array) return { code: 4, bitpix: 16 };
  if (data instanceof Int32Array) return { code: 8, bitpix: 32 };
  if (data instanceof Float32Array) return { code: 16, bitpix: 32 };
  if (data instanceof Float64Array) return { code: 64, bitpix: 64 };
  if (data instanceof Int8Array) return { code: 256, bitpix: 8 };
  if (data instanceof Uint16Array) return { code: 512, bitpix: 16 };
  if (data instanceof Uint32Array) return { code: 768, bitpix: 32 };
  throw new TypeError('writeNifti: data must be a Uint8/Int8/Int16/Uint16/Int32/Uint32/Float32/Float64Array');
}

export function writeNifti(options: NiftiWriteOptions): Uint8Array {
  const { data, dims, pixdim, affine } = options;
  const { code, bitpix } = datatypeOf(data);
  if (dims.length !== 3 || !dims.every((n) => Number.isInteger(n) && n > 0 && n <= 32767)) {
    throw new RangeError(`writeNifti: dims must be three integers in [1, 32767], got [${dims.join(', ')}]`);
  }
  const voxels = dims[0] * dims[1] * dims[2];
  if (data.length !== voxels) {
    throw new RangeError(`writeNifti: data has ${data.length} values but dims [${dims.join(', ')}] need ${voxels}`);
  }
  if (affine.length !== 4 || !affine.every((row) => row.length === 4 && row.every(Number.isFinite))) {
    throw new RangeError('writeNifti: affine must be a finite 4×4 matrix');
  }
  for (let c = 0; c < 3; c++) {
    const length = Math.hypot(affine[0][c], affine[1][c], affine[2][c]);
    if (!(pixdim[c] > 0) || Math.abs(length - pixdim[c]) > 1e-4 * Math.max(1, pixdim[c])) {
      throw new RangeError(`writeNifti: pixdim[${c}] = ${pixdim[c]} but column ${c} of the affine has length ${length}`);
    }
  }

  const bytes = new Uint8Array(VOX_OFFSET + data.byteLength);
  const view = new DataView(bytes.buffer);
  const le = true;
  view.setInt32(0, HEADER_SIZE, le);
  bytes[38] = 'r'.charCodeAt(0); // "regular", kept for ANALYZE 7.5 readers
  view.setInt16(40, 3, le);
  for (let i = 0; i < 3; i++) view.setInt16(42 + 2 * i, dims[i], le);
  for (let i = 3; i < 7; i++) view.setInt16(42 + 2 * i, 1, le);
  const intent = options.intent === 'label' ? NIFTI_INTENT_LABEL : typeof options.intent === 'number' ? options.intent : 0;
  view.setInt16(68, intent, le);
  view.setInt16(70, code, le);
  view.setInt16(72, bitpix, le);

  const { quaternion, qfac } = affineToQuaternion(affine);
  view.setFloat32(76, qfac, le);
  for (let i = 0; i < 3; i++) view.setFloat32(80 + 4 * i, pixdim[i], le);
  for (let i = 3; i < 7; i++) view.setFloat32(80 + 4 * i, 1, le);
  view.setFloat32(108, VOX_OFFSET, le);
  // Slope 1, intercept 0: the stored values are the values (slope 0 would also mean that).
  view.setFloat32(112, 1, le);
  view.setFloat32(116, 0, le);
  bytes[123] = NIFTI_UNITS_MM;
  writeAscii(bytes, 148, 80, options.description ?? '');

  view.setInt16(252, NIFTI_XFORM_SCANNER_ANAT, le);
  view.setInt16(254, NIFTI_XFORM_SCANNER_ANAT, le);
  view.setFloat32(256, quaternion[0], le);
  view.setFloat32(260, quaternion[1], le);
  view.setFloat32(264, quaternion[2], le);
  view.setFloat32(268, affine[0][3], le);
  view.setFloat32(272, affine[1][3], le);
  view.setFloat32(276, affine[2][3], le);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) view.setFloat32(280 + 16 * r + 4 * c, affine[r][c], le);
  writeAscii(bytes, 344, 4, 'n+1');
  // bytes 348..351 stay 0: no extensions follow.

  bytes.set(littleEndianBytes(data), VOX_OFFSET);
  return options.gzip ? gzipSync(bytes, { level: 6, mtime: 0 }) : bytes;
}

function writeAscii(bytes: Uint8Array, offset: number, size: number, text: string): void {
  // Leave room for the terminating NUL.
  const limit = Math.min(text.length, size - 1);
  for (let i = 0; i < limit; i++) {
    const c = text.charCodeAt(i);
    bytes[offset + i] = c < 128 ? c : 63; // '?' for anything outside ASCII
  }
}

function littleEndianBytes(data: NiftiTypedArray): Uint8Array {
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 || data.BYTES_PER_ELEMENT === 1) return raw;
  const swapped = new Uint8Array(raw.length);
  const width = data.BYTES_PER_ELEMENT;
  for (let i = 0; i < raw.length; i += width) for (let b = 0; b < width; b++) swapped[i + b] = raw[i + width - 1 - b];
  return swapped;
}

/**
 * The qform quaternion (b, c, d) and qfac of an affine's rotation, after
 * nifti_mat44_to_quatern in nifti1_io.c: normalise the columns, take the nearest
 * orthogonal matrix (polar decomposition), move a reflection into qfac.
 */
export function affineToQuaternion(affine: number[][]): { quaternion: [number, number, number]; qfac: number } {
  const m: number[][] = [0, 1, 2].map((r) => [affine[r][0], affine[r][1], affine[r][2]]);
  for (let c = 0; c < 3; c++) {
    const length = Math.hypot(m[0][c], m[1][c], m[2][c]);
    if (length === 0) throw new RangeError(`affineToQuaternion: column ${c} of the affine is zero`);
    for (let r = 0; r < 3; r++) m[r][c] /= length;
  }
  const q = nearestOrthogonal(m);
  let qfac = 1;
  if (determinant(q) < 0) {
    qfac = -1;
    for (let r = 0; r < 3; r++) q[r][2] = -q[r][2];
  }
  const [[r11, r12, r13], [r21, r22, r23], [r31, r32, r33]] = q;
  let a = r11 + r22 + r33 + 1;
  let b: number;
  let c: number;
  let d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = (0.25 * (r32 - r23)) / a;
    c = (0.25 * (r13 - r31)) / a;
    d = (0.25 * (r21 - r12)) / a;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = (0.25 * (r12 + r21)) / b;
      d = (0.25 * (r13 + r31)) / b;
      a = (0.25 * (r32 - r23)) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = (0.25 * (r12 + r21)) / c;
      d = (0.25 * (r23 + r32)) / c;
      a = (0.25 * (r13 - r31)) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = (0.25 * (r13 + r31)) / d;
      c = (0.25 * (r23 + r32)) / d;
      a = (0.25 * (r21 - r12)) / d;
    }
    if (a < 0) {
      b = -b;
      c = -c;
      d = -d;
    }
  }
  return { quaternion: [b, c, d], qfac };
}

function determinant(m: number[][]): number {
  return (
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
    m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
    m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
  );
}

/** Polar decomposition by Newton iteration: X ← (X + X⁻ᵀ) / 2 converges to the orthogonal factor. */
function nearestOrthogonal(m: number[][]): number[][] {
  let x = m.map((row) => row.slice());
  for (let iteration = 0; iteration < 50; iteration++) {
    const det = determinant(x);
    if (Math.abs(det) < 1e-12) throw new RangeError('affineToQuaternion: the affine is singular');
    // Inverse transpose = cofactor matrix / determinant.
    const cof = (r: number, c: number): number => {
      const rows = [0, 1, 2].filter((i) => i !== r);
      const cols = [0, 1, 2].filter((i) => i !== c);
      const minor = x[rows[0]][cols[0]] * x[rows[1]][cols[1]] - x[rows[0]][cols[1]] * x[rows[1]][cols[0]];
      return ((r + c) % 2 === 0 ? 1 : -1) * minor;
    };
    let change = 0;
    const next = x.map((row, r) =>
      row.map((value, c) => {
        const updated = 0.5 * (value + cof(r, c) / det);
        change = Math.max(change, Math.abs(updated - value));
        return updated;
      }),
    );
    x = next;
    if (change < 1e-12) break;
  }
  return x;
}
