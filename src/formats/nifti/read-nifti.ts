import * as nifti from 'nifti-reader-js';

/** A NIfTI-1/2 volume: voxel (i, j, k) with i fastest; a "slice" is a fixed k. */
export interface NiftiVolume {
  /** [i, j, k] sizes: columns, rows, slices */
  dims: [number, number, number];
  /** [di, dj, dk] mm */
  spacing: [number, number, number];
  /** 4×4 voxel → RAS mm, from sform/qform as nifti-reader-js resolves them; kept to write results on the same grid */
  affine: number[][];
  datatype: string;
  description: string | null;
  /** NIfTI intent code; 1002 (NIFTI_INTENT_LABEL) marks a label volume, not an image */
  intentCode: number;
  warnings: string[];
  /** Values of slice k after scl_slope/scl_inter, written into `out` (cols × rows, row-major). */
  readSlice(k: number, out?: Float32Array): Float32Array;
}

export const NIFTI_INTENT_LABEL = 1002;

export class NiftiError extends Error {
  override readonly name = 'NiftiError';
  constructor(readonly reason: string) {
    super(reason);
  }
}

type Reader = (view: DataView, offset: number, littleEndian: boolean) => number;

/** NIfTI datatype codes (nifti1.h) that hold one scalar per voxel. */
const DATATYPES: Record<number, { name: string; bytes: number; read: Reader }> = {
  2: { name: 'uint8', bytes: 1, read: (v, o) => v.getUint8(o) },
  4: { name: 'int16', bytes: 2, read: (v, o, le) => v.getInt16(o, le) },
  8: { name: 'int32', bytes: 4, read: (v, o, le) => v.getInt32(o, le) },
  16: { name: 'float32', bytes: 4, read: (v, o, le) => v.getFloat32(o, le) },
  64: { name: 'float64', bytes: 8, read: (v, o, le) => v.getFloat64(o, le) },
  256: { name: 'int8', bytes: 1, read: (v, o) => v.getInt8(o) },
  512: { name: 'uint16', bytes: 2, read: (v, o, le) => v.getUint16(o, le) },
  768: { name: 'uint32', bytes: 4, read: (v, o, le) => v.getUint32(o, le) },
  1024: { name: 'int64', bytes: 8, read: (v, o, le) => Number(v.getBigInt64(o, le)) },
  1280: { name: 'uint64', bytes: 8, read: (v, o, le) => Number(v.getBigUint64(o, le)) },
};

const MAX_VOXELS = 2 ** 31;
/** Deflate cannot expand data more than 1032-fold (RFC 1951: at most 258 bytes per 2 bits). */
const DEFLATE_MAX_RATIO = 1032;

/**
 * A gzip file states its uncompressed size (mod 2^32) in its last four bytes, and the
 * decompressor allocates that much before inflating anything: a corrupt or hostile
 * trailer would make a few bytes allocate gigabytes. A size deflate cannot reach from
 * the compressed bytes present is refused first.
 */
function checkGzipSize(bytes: Uint8Array): void {
  if (bytes.length < 18) throw new NiftiError(`corrupt gzip stream (only ${bytes.length} bytes)`);
  const end = bytes.byteOffset + bytes.length;
  const declared = new DataView(bytes.buffer, end - 4, 4).getUint32(0, true);
  const reachable = (bytes.length - 18) * DEFLATE_MAX_RATIO + 1024;
  if (declared > reachable)
    throw new NiftiError(
      `corrupt gzip stream (it declares ${declared} uncompressed bytes, more than its ${bytes.length} bytes can hold): truncated or damaged`,
    );
}

/** Parses a .nii or .nii.gz file's bytes. 4-D volumes keep their first volume, with a warning. */
export function readNifti(bytes: Uint8Array): NiftiVolume {
  let buffer: ArrayBuffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  if (bytes.length >= 2 && nifti.isCompressed(buffer)) {
    checkGzipSize(bytes);
    try {
      buffer = nifti.decompress(buffer) as ArrayBuffer;
    } catch (error) {
      throw new NiftiError(`corrupt gzip stream (${(error as Error).message ?? error})`);
    }
  }
  if (buffer.byteLength < 4 || !nifti.isNIFTI(buffer)) throw new NiftiError('not a NIfTI-1/2 file (bad header size or magic)');
  let header: ReturnType<typeof nifti.readHeader>;
  try {
    header = nifti.readHeader(buffer);
  } catch (error) {
    throw new NiftiError(`unreadable NIfTI header (${(error as Error).message ?? error})`);
  }
  if (!header) throw new NiftiError('unreadable NIfTI header');
  const warnings: string[] = [];
  const [rank, ni, nj, nk = 1, nt = 1] = header.dims;
  if (!(rank >= 2 && rank <= 7) || !(ni > 0 && nj > 0 && nk > 0)) {
    throw new NiftiError(`invalid dimensions ${JSON.stringify(header.dims)}`);
  }
  if (ni * nj * nk > MAX_VOXELS) throw new NiftiError(`absurd dimensions (${ni} × ${nj} × ${nk}): refusing to allocate`);
  if (rank > 3 && nt > 1) warnings.push(`${rank}-D volume with ${nt} volumes: only the first is used`);
  const type = DATATYPES[header.datatypeCode];
  if (!type) throw new NiftiError(`unsupported NIfTI datatype ${header.datatypeCode} (only scalar voxels are read)`);

  const voxelOffset = Math.max(Number(header.vox_offset), 0);
  const sliceBytes = ni * nj * type.bytes;
  const needed = voxelOffset + sliceBytes * nk;
  if (buffer.byteLength < needed) {
    throw new NiftiError(`truncated file: image data has ${Math.max(0, buffer.byteLength - voxelOffset)} of ${sliceBytes * nk} bytes`);
  }
  if (header.qform_code < 1 && header.sform_code < 1) warnings.push('no qform or sform: axes taken from pixdim alone');
  // nifti1.h: scaling applies only when scl_slope is non-zero.
  const scaled = Number.isFinite(header.scl_slope) && header.scl_slope !== 0;
  const slope = scaled ? header.scl_slope : 1;
  const intercept = scaled && Number.isFinite(header.scl_inter) ? header.scl_inter : 0;

  const view = new DataView(buffer);
  const littleEndian = header.littleEndian;
  return {
    dims: [ni, nj, nk],
    spacing: [Math.abs(header.pixDims[1]) || 1, Math.abs(header.pixDims[2]) || 1, Math.abs(header.pixDims[3]) || 1],
    affine: header.affine.map((row) => [...row]),
    datatype: type.name,
    description: header.description?.replace(/\0/g, '').trim() || null,
    intentCode: header.intent_code ?? 0,
    warnings,
    readSlice(k, out = new Float32Array(ni * nj)) {
      if (!(k >= 0 && k < nk)) throw new RangeError(`slice ${k} outside 0..${nk - 1}`);
      const start = voxelOffset + k * sliceBytes;
      for (let voxel = 0; voxel < ni * nj; voxel++) {
        out[voxel] = type.read(view, start + voxel * type.bytes, littleEndian) * slope + intercept;
      }
      return out;
    },
  };
}
