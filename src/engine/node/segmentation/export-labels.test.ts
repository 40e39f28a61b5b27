import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readNifti } from '../../../formats/nifti/read-nifti.ts';
import { importScanned } from '../import/import-series.ts';
import { scanPaths } from '../import/scan-paths.ts';
import { Workspace } from '../workspace/workspace.ts';
import { readSeriesLabels } from '../annotations/label-volume.ts';
import { exportFormatOf, niftiBytes } from './export-labels.ts';
import { writeSegForSeries } from './export-seg.ts';

const fixtures = join(import.meta.dirname, '../../../../tests/fixtures/real/nifti');
const files = ['anatomical.nii', 'standard.nii.gz', 'example_nifti2.nii.gz'];
const PYTHON = '/usr/bin/python3';
const hasNibabel = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import nibabel']).status === 0;

const open: Workspace[] = [];
afterEach(() => {
  for (const w of open.splice(0)) w.close();
});

describe('NIfTI export of a label volume', () => {
  it('is on the source NIfTI grid: same dimensions and affine (real NiBabel test files)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssmtl-export-'));
    const workspace = Workspace.open(join(dir, 'ws'), { create: true });
    open.push(workspace);
    await importScanned(workspace, scanPaths(files.map((f) => join(fixtures, f))));
    const outputs: string[] = [];
    for (const [i, series] of workspace.listSeries().entries()) {
      const labels = new Uint16Array(series.rows * series.cols * series.slices).map((_, n) => (n % 5 === 0 ? 500 : 0));
      const path = join(dir, `out${i}.nii.gz`);
      writeFileSync(path, niftiBytes(series, labels, true, 'test'));
      outputs.push(path);
      const source = readNifti(readFileSync(join(fixtures, files[i])));
      const written = readNifti(readFileSync(path));
      expect(written.dims).toEqual(source.dims);
      written.affine.forEach((row, r) => row.forEach((v, c) => expect(v).toBeCloseTo(source.affine[r][c], 4)));
      expect(written.readSlice(0)[0]).toBe(500);
    }
    if (hasNibabel) {
      const script =
        'import sys, nibabel, numpy\nfor a, b in zip(sys.argv[1::2], sys.argv[2::2]):\n  x, y = nibabel.load(a), nibabel.load(b)\n  print(numpy.allclose(x.affine, y.affine, atol=1e-4) and x.shape[:3] == y.shape[:3])';
      const args = outputs.flatMap((o, i) => [o, join(fixtures, files[i])]);
      const result = spawnSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8' });
      expect(result.stdout.trim().split('\n')).toEqual(['True', 'True', 'True']);
    }
  });

  it.skipIf(!existsSync('/usr/bin/dciodvfy'))(
    'a DICOM SEG of a NIfTI series places frames by geometry, passes dciodvfy and reads back onto the series',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ssmtl-export-'));
      const workspace = Workspace.open(join(dir, 'ws'), { create: true });
      open.push(workspace);
      await importScanned(workspace, scanPaths([join(fixtures, 'anatomical.nii')]));
      const series = workspace.listSeries()[0];
      const plane = series.rows * series.cols;
      const labels = new Uint16Array(plane * series.slices).map((_, n) =>
        Math.floor(n / plane) % 3 === 1 && n % 7 < 3 ? 500 : n % 11 === 0 ? 600 : 0,
      );
      const path = join(dir, 'seg.dcm');
      writeFileSync(
        path,
        writeSegForSeries(
          workspace,
          series,
          labels,
          [
            { value: 500, name: 'LV', color: '#ff0000' },
            { value: 600, name: 'RV', color: '#00ff00' },
          ],
          { description: 'test', algorithm: 'test' },
        ),
      );
      const check = spawnSync('/usr/bin/dciodvfy', [path], { encoding: 'utf8' });
      expect(`${check.stdout}${check.stderr}`).not.toMatch(/^(Error|Warning)/m);
      const back = readSeriesLabels(workspace, series, path);
      for (let k = 0; k < series.slices; k++) expect(back.slice(k)).toEqual(labels.slice(k * plane, (k + 1) * plane));
    },
  );

  it('picks the format from the file name', () => {
    expect(exportFormatOf('/x/a.NII.GZ')).toBe('nifti-gz');
    expect(exportFormatOf('a.nii')).toBe('nifti');
    expect(exportFormatOf('a.dcm')).toBe('dicom-seg');
    expect(() => exportFormatOf('a.png')).toThrow(/must end in .nii, .nii.gz \(NIfTI\) or .dcm/);
  });
});
