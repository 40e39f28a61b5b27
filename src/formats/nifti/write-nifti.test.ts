import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nifti from 'nifti-reader-js';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { lpsGeometryToRasAffine } from './affine.ts';
import { readNifti } from './read-nifti.ts';
import { affineToQuaternion, writeNifti, type NiftiTypedArray } from './write-nifti.ts';

const toArrayBuffer = (bytes: Uint8Array): ArrayBuffer => bytes.slice().buffer as ArrayBuffer;

/** A python3 that has NiBabel (Debian's python3-nibabel lives under /usr/bin), or null. */
function findNibabelPython(): string | null {
  for (const candidate of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(candidate, ['-c', 'import nibabel'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  return null;
}
const python = findNibabelPython();
if (!python) console.warn('write-nifti.test: skipping the NiBabel checks: no python3 with nibabel (apt install python3-nibabel)');

const obliqueGeometry = () => {
  const c = Math.cos(0.3);
  const s = Math.sin(0.3);
  return {
    origin: [-120.5, 80.25, -300] as [number, number, number],
    rowDirection: [c, s, 0] as [number, number, number],
    columnDirection: [-s * 0.8, c * 0.8, 0.6] as [number, number, number],
    sliceDirection: [s * 0.6, -c * 0.6, 0.8] as [number, number, number],
    spacing: [0.7, 0.8, 2.5] as [number, number, number],
  };
};

describe('lpsGeometryToRasAffine', () => {
  it('maps an axial DICOM grid to RAS by flipping x and y', () => {
    const affine = lpsGeometryToRasAffine({
      origin: [-175, -180, -250.5],
      rowDirection: [1, 0, 0],
      columnDirection: [0, 1, 0],
      sliceDirection: [0, 0, 1],
      spacing: [2.5, 2, 3],
    });
    expect(affine).toEqual([
      [-2.5, 0, 0, 175],
      [0, -2, 0, 180],
      [0, 0, 3, -250.5],
      [0, 0, 0, 1],
    ]);
  });

  it('sends voxel (i, j, k) to the LPS point origin + i·di·row + j·dj·column + k·dk·slice, in RAS', () => {
    const geometry = obliqueGeometry();
    const affine = lpsGeometryToRasAffine(geometry);
    for (const [i, j, k] of [
      [0, 0, 0],
      [3, 0, 0],
      [0, 5, 0],
      [2, 7, 11],
    ]) {
      const lps = [0, 1, 2].map(
        (axis) =>
          geometry.origin[axis] +
          i * geometry.spacing[0] * geometry.rowDirection[axis] +
          j * geometry.spacing[1] * geometry.columnDirection[axis] +
          k * geometry.spacing[2] * geometry.sliceDirection[axis],
      );
      const ras = [0, 1, 2].map((r) => affine[r][0] * i + affine[r][1] * j + affine[r][2] * k + affine[r][3]);
      expect(ras[0]).toBeCloseTo(-lps[0], 9);
      expect(ras[1]).toBeCloseTo(-lps[1], 9);
      expect(ras[2]).toBeCloseTo(lps[2], 9);
    }
  });

  it('rejects directions that are not unit vectors and non-positive spacing', () => {
    const geometry = obliqueGeometry();
    expect(() => lpsGeometryToRasAffine({ ...geometry, rowDirection: [2, 0, 0] })).toThrow(/rowDirection/);
    expect(() => lpsGeometryToRasAffine({ ...geometry, spacing: [1, 0, 1] })).toThrow(/spacing/);
  });
});

describe('writeNifti', () => {
  const dims: [number, number, number] = [5, 4, 3];
  const axial = lpsGeometryToRasAffine({
    origin: [-10, -20, 30],
    rowDirection: [1, 0, 0],
    columnDirection: [0, 1, 0],
    sliceDirection: [0, 0, 1],
    spacing: [0.5, 0.75, 2],
  });
  const cases: [string, NiftiTypedArray, number][] = [
    ['uint8', Uint8Array.from({ length: 60 }, (_, i) => (i * 7) % 256), 2],
    ['int16', Int16Array.from({ length: 60 }, (_, i) => i * 97 - 1024), 4],
    ['uint16', Uint16Array.from({ length: 60 }, (_, i) => i * 1000), 512],
    ['int32', Int32Array.from({ length: 60 }, (_, i) => i * 100000 - 3000000), 8],
    ['float32', Float32Array.from({ length: 60 }, (_, i) => i / 3 - 7.25), 16],
  ];

  for (const [name, data, code] of cases) {
    it(`writes ${name} with datatype ${code} that nifti-reader-js reads back`, () => {
      const bytes = writeNifti({ data, dims, pixdim: [0.5, 0.75, 2], affine: axial, description: 'test volume' });
      const buffer = toArrayBuffer(bytes);
      expect(nifti.isNIFTI1(buffer)).toBe(true);
      const header = nifti.readHeader(buffer) as nifti.NIFTI1;
      expect(header.datatypeCode).toBe(code);
      expect(header.dims.slice(0, 4)).toEqual([3, 5, 4, 3]);
      expect(header.pixDims.slice(1, 4)).toEqual([0.5, 0.75, 2]);
      expect(header.vox_offset).toBe(352);
      expect(header.scl_slope).toBe(1);
      expect(header.scl_inter).toBe(0);
      expect(header.qform_code).toBe(1);
      expect(header.sform_code).toBe(1);
      expect(header.description).toBe('test volume');
      expect(header.affine.map((row) => row.map((v) => Math.round(v * 1e5) / 1e5 || 0))).toEqual(axial);
      const image = nifti.readImage(header, buffer);
      const readBack = new (data.constructor as new (buffer: ArrayBuffer) => NiftiTypedArray)(image);
      expect(Array.from(readBack)).toEqual(Array.from(data));
    });
  }

  it('gzips on request, deterministically, and marks label volumes', () => {
    const data = Uint16Array.from({ length: 60 }, (_, i) => [0, 500, 600, 820][i % 4]);
    const options = { data, dims, pixdim: [0.5, 0.75, 2] as [number, number, number], affine: axial, intent: 'label' as const };
    const plain = writeNifti(options);
    const gz = writeNifti({ ...options, gzip: true });
    expect([gz[0], gz[1]]).toEqual([0x1f, 0x8b]);
    expect(Buffer.from(writeNifti({ ...options, gzip: true })).equals(Buffer.from(gz))).toBe(true);
    expect(Buffer.from(gunzipSync(gz)).equals(Buffer.from(plain))).toBe(true);
    const header = nifti.readHeader(toArrayBuffer(gunzipSync(gz))) as nifti.NIFTI1;
    expect(header.intent_code).toBe(1002);
    // The project's own reader agrees on grid and values.
    const volume = readNifti(gz);
    expect(volume.dims).toEqual([5, 4, 3]);
    expect(volume.spacing).toEqual([0.5, 0.75, 2]);
    const slice = volume.readSlice(2);
    expect(Array.from(slice)).toEqual(Array.from(data.subarray(40, 60)));
  });

  it('stores a qform that matches the affine, reflections included', () => {
    const geometry = obliqueGeometry();
    for (const sliceSign of [1, -1]) {
      const affine = lpsGeometryToRasAffine({
        ...geometry,
        sliceDirection: geometry.sliceDirection.map((v) => v * sliceSign) as [number, number, number],
      });
      const { quaternion, qfac } = affineToQuaternion(affine);
      const [b, c, d] = quaternion;
      const a = Math.sqrt(Math.max(0, 1 - (b * b + c * c + d * d)));
      // nifti1.h: R from the quaternion, the third column times qfac, columns times pixdim.
      const r = [
        [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
        [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
        [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
      ];
      for (let row = 0; row < 3; row++) {
        for (let col = 0; col < 3; col++) {
          const value = r[row][col] * geometry.spacing[col] * (col === 2 ? qfac : 1);
          expect(value).toBeCloseTo(affine[row][col], 6);
        }
      }
    }
  });

  it('refuses data that does not fit the dimensions, and pixdim that disagrees with the affine', () => {
    expect(() => writeNifti({ data: new Uint8Array(59), dims, pixdim: [0.5, 0.75, 2], affine: axial })).toThrow(/60/);
    expect(() => writeNifti({ data: new Uint8Array(60), dims, pixdim: [1, 0.75, 2], affine: axial })).toThrow(/pixdim\[0\]/);
  });

  it.skipIf(!python)('writes files that NiBabel loads with the same affine, qform and voxels', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssmtl-nifti-'));
    const geometry = obliqueGeometry();
    const affine = lpsGeometryToRasAffine(geometry);
    const data = Int16Array.from({ length: 60 }, (_, i) => i * 13 - 400);
    const path = join(dir, 'oblique.nii.gz');
    writeFileSync(path, writeNifti({ data, dims, pixdim: geometry.spacing, affine, gzip: true, description: 'oblique' }));
    const script = [
      'import json, sys, nibabel as nib, numpy as np',
      'image = nib.load(sys.argv[1])',
      'data = np.asanyarray(image.dataobj)',
      'print(json.dumps({"affine": image.affine.tolist(), "qform": image.get_qform().tolist(),',
      '  "shape": list(data.shape), "dtype": str(data.dtype),',
      '  "voxels": [int(data[i, j, k]) for (i, j, k) in [(0, 0, 0), (1, 0, 0), (0, 1, 0), (4, 3, 2), (2, 1, 1)]]}))',
    ].join('\n');
    const result = spawnSync(python!, ['-c', script, path], { encoding: 'utf8' });
    expect(result.stderr).not.toMatch(/Error/);
    const loaded = JSON.parse(result.stdout) as { affine: number[][]; qform: number[][]; shape: number[]; dtype: string; voxels: number[] };
    expect(loaded.shape).toEqual([5, 4, 3]);
    expect(loaded.dtype).toBe('int16');
    for (let r = 0; r < 4; r++) {
      for (let c = 0; c < 4; c++) {
        expect(loaded.affine[r][c]).toBeCloseTo(affine[r][c], 4);
        expect(loaded.qform[r][c]).toBeCloseTo(affine[r][c], 4);
      }
    }
    // i fastest: voxel (i, j, k) is element i + 5·j + 20·k.
    expect(loaded.voxels).toEqual(
      [
        [0, 0, 0],
        [1, 0, 0],
        [0, 1, 0],
        [4, 3, 2],
        [2, 1, 1],
      ].map(([i, j, k]) => data[i + 5 * j + 20 * k]),
    );
  });
});
