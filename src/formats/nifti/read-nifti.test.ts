import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { NiftiError, readNifti } from './read-nifti.ts';

const folder = join(import.meta.dirname, '../../../tests/fixtures/real/nifti');
const expected = JSON.parse(readFileSync(join(folder, 'expected.json'), 'utf8')) as Record<
  string,
  { shape: number[]; affine: number[][]; zooms: number[]; slices: { mean: number; min: number; max: number }[] }
>;

describe('readNifti on real volumes, against NiBabel', () => {
  for (const [name, truth] of Object.entries(expected)) {
    it(`${name}: shape, affine and every slice's values`, () => {
      const volume = readNifti(readFileSync(join(folder, name)));
      expect(volume.dims).toEqual(truth.shape.slice(0, 3));
      expect(volume.spacing).toEqual(truth.zooms.map(Math.abs));
      for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) expect(volume.affine[r][c]).toBeCloseTo(truth.affine[r][c], 4);
      truth.slices.forEach((slice, k) => {
        const values = volume.readSlice(k);
        let sum = 0;
        let min = Infinity;
        let max = -Infinity;
        for (const v of values) {
          sum += v;
          min = Math.min(min, v);
          max = Math.max(max, v);
        }
        expect(sum / values.length).toBeCloseTo(slice.mean, 3);
        expect(min).toBeCloseTo(slice.min, 4);
        expect(max).toBeCloseTo(slice.max, 4);
      });
    });
  }

  it('says a 4-D volume keeps only its first volume', () => {
    const volume = readNifti(readFileSync(join(folder, 'example4d.nii.gz')));
    expect(volume.warnings.join()).toMatch(/first/);
  });
});

describe('readNifti on broken input', () => {
  const good = readFileSync(join(folder, 'anatomical.nii'));

  it('refuses a truncated file, naming the missing bytes', () => {
    expect(() => readNifti(good.subarray(0, good.length - 1000))).toThrow(/truncated file: image data has \d+ of 67650 bytes/);
  });

  it('refuses a file that is not NIfTI', () => {
    expect(() => readNifti(new TextEncoder().encode('hello world'.repeat(40)))).toThrow(NiftiError);
  });

  it('refuses a corrupt gzip stream', () => {
    const gz = gzipSync(good);
    gz.fill(7, 40, 200);
    expect(() => readNifti(gz)).toThrow(NiftiError);
  });

  it('refuses absurd dimensions before allocating', () => {
    const header = new Uint8Array(good.subarray(0, 352));
    const view = new DataView(header.buffer);
    // anatomical.nii is big endian: dim[1..3] at bytes 42..47
    view.setInt16(42, 30000, false);
    view.setInt16(44, 30000, false);
    view.setInt16(46, 30000, false);
    expect(() => readNifti(header)).toThrow(/absurd dimensions/);
  });
});
