import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dicomParserModule from 'dicom-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNifti } from '../formats/nifti/read-nifti.ts';
import { generateSubject } from './phantom.ts';
import { SAMPLE_SERIES_DESCRIPTION, sampleUid, writeSample, type WriteSampleResult } from './write-sample.ts';

// dicom-parser is a UMD bundle: Node's ESM loader exposes it as the default export only.
const dicomParser: typeof dicomParserModule =
  (dicomParserModule as unknown as { default?: typeof dicomParserModule }).default ?? dicomParserModule;

const SIZE = 48;
const SLICES = 14;
const hasDciodvfy = spawnSync('dciodvfy', ['-'], { encoding: 'utf8' }).error === undefined;
if (!hasDciodvfy) console.warn('write-sample.test: skipping the dciodvfy check: dciodvfy (dicom3tools) is not installed');

let outDir: string;
let result: WriteSampleResult;
beforeAll(() => {
  outDir = mkdtempSync(join(tmpdir(), 'ssmtl-sample-'));
  result = writeSample({ outDir, subjects: 2, slices: SLICES, size: SIZE, seed: 5 });
});

const parse = (path: string) => dicomParser.parseDicom(new Uint8Array(readFileSync(path)));

describe('writeSample', () => {
  it('writes one folder of IM#####.dcm files and a labels.nii.gz per subject', () => {
    expect(result.series).toHaveLength(2);
    result.series.forEach((series, subject) => {
      expect(series.subject).toBe(subject);
      expect(series.patientId).toBe(`SAMPLE-0${subject + 1}`);
      expect(series.dicomDir).toBe(join(outDir, series.patientId, 'dicom'));
      expect(series.labelsPath).toBe(join(outDir, series.patientId, 'labels.nii.gz'));
      expect(readdirSync(series.dicomDir).sort()).toEqual(
        Array.from({ length: SLICES }, (_, k) => `IM${String(k + 1).padStart(5, '0')}.dcm`),
      );
      expect(series.files).toEqual(
        readdirSync(series.dicomDir)
          .sort()
          .map((name) => join(series.dicomDir, name)),
      );
    });
    expect(result.series[0].seriesInstanceUid).not.toBe(result.series[1].seriesInstanceUid);
    expect(result.series[0].studyInstanceUid).not.toBe(result.series[1].studyInstanceUid);
  });

  it('writes CT images whose tags and pixels carry the phantom, in HU after the modality LUT', () => {
    const series = result.series[1];
    const volume = generateSubject({ seed: 5, size: SIZE, slices: SLICES, subject: 1 });
    const sopUids = new Set<string>();
    let previousZ = -Infinity;
    series.files.forEach((path, k) => {
      const dataSet = parse(path);
      expect(dataSet.string('x00020010')).toBe('1.2.840.10008.1.2.1');
      expect(dataSet.string('x00080016')).toBe('1.2.840.10008.5.1.4.1.1.2');
      expect(dataSet.string('x00080060')).toBe('CT');
      expect(dataSet.string('x0008103e')).toBe(SAMPLE_SERIES_DESCRIPTION);
      expect(dataSet.string('x00100020')).toBe('SAMPLE-02');
      expect(dataSet.string('x0020000e')).toBe(series.seriesInstanceUid);
      expect(dataSet.string('x0020000d')).toBe(series.studyInstanceUid);
      expect(dataSet.intString('x00200013')).toBe(k + 1);
      expect(dataSet.string('x00200037')).toBe('1\\0\\0\\0\\1\\0');
      expect(dataSet.uint16('x00280010')).toBe(SIZE);
      expect(dataSet.uint16('x00280011')).toBe(SIZE);
      expect(dataSet.uint16('x00280100')).toBe(16);
      expect(dataSet.floatString('x00281052')).toBe(-1024);
      expect(dataSet.floatString('x00281053')).toBe(1);
      expect([dataSet.floatString('x00280030', 0), dataSet.floatString('x00280030', 1)]).toEqual([volume.spacing[1], volume.spacing[0]]);
      expect(dataSet.floatString('x00180050')).toBe(volume.spacing[2]);
      const position = [0, 1, 2].map((i) => dataSet.floatString('x00200032', i));
      expect(position[0]).toBe(volume.origin[0]);
      expect(position[1]).toBe(volume.origin[1]);
      expect(position[2]).toBeCloseTo(volume.origin[2] + k * volume.spacing[2], 5);
      expect(position[2]).toBeGreaterThan(previousZ);
      previousZ = position[2]!;

      const sop = dataSet.string('x00080018')!;
      for (const uid of [sop, series.seriesInstanceUid, series.studyInstanceUid, dataSet.string('x00200052')!]) {
        expect(uid).toMatch(/^2\.25\.[1-9][0-9]*$/);
        expect(uid.length).toBeLessThanOrEqual(64);
      }
      sopUids.add(sop);

      const pixels = dataSet.elements.x7fe00010;
      const stored = new Uint16Array(
        dataSet.byteArray.buffer.slice(
          dataSet.byteArray.byteOffset + pixels.dataOffset,
          dataSet.byteArray.byteOffset + pixels.dataOffset + pixels.length,
        ),
      );
      const plane = SIZE * SIZE;
      for (let p = 0; p < plane; p += 37) expect(stored[p] - 1024).toBe(volume.hu[k * plane + p]);
    });
    expect(sopUids.size).toBe(SLICES);
  });

  it.skipIf(!hasDciodvfy)('passes dciodvfy for the CT Image IOD without errors', () => {
    const run = spawnSync('dciodvfy', [result.series[0].files[Math.floor(SLICES / 2)]], { encoding: 'utf8' });
    const report = `${run.stdout}${run.stderr}`;
    expect(report).toMatch(/CTImage/);
    expect(report.split('\n').filter((line) => /^Error/.test(line))).toEqual([]);
  });

  it('writes labels on the grid of the DICOM series', () => {
    const series = result.series[0];
    const volume = generateSubject({ seed: 5, size: SIZE, slices: SLICES, subject: 0 });
    const labels = readNifti(new Uint8Array(readFileSync(series.labelsPath)));
    expect(labels.dims).toEqual([SIZE, SIZE, SLICES]);
    expect(labels.spacing.map((v) => Math.round(v * 1e4) / 1e4)).toEqual(volume.spacing);
    // Voxel (0,0,0) sits at ImagePositionPatient of the first slice, in RAS.
    expect(labels.affine[0][3]).toBeCloseTo(-volume.origin[0], 3);
    expect(labels.affine[1][3]).toBeCloseTo(-volume.origin[1], 3);
    expect(labels.affine[2][3]).toBeCloseTo(volume.origin[2], 3);
    for (let k = 0; k < SLICES; k++) {
      const slice = labels.readSlice(k);
      expect(Array.from(slice)).toEqual(Array.from(volume.labels.subarray(k * SIZE * SIZE, (k + 1) * SIZE * SIZE)));
    }
  });

  it('writes the same bytes for the same seed, and other UIDs for another grid', () => {
    const again = mkdtempSync(join(tmpdir(), 'ssmtl-sample-'));
    const second = writeSample({ outDir: again, subjects: 1, slices: SLICES, size: SIZE, seed: 5 });
    const first = result.series[0];
    for (const [a, b] of [
      [first.files[0], second.series[0].files[0]],
      [first.files[SLICES - 1], second.series[0].files[SLICES - 1]],
      [first.labelsPath, second.series[0].labelsPath],
    ]) {
      expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    }
    expect(sampleUid('a')).toBe(sampleUid('a'));
    expect(sampleUid('a')).not.toBe(sampleUid('b'));
    const otherGrid = writeSample({ outDir: again, subjects: 1, slices: 12, size: 32, seed: 5 });
    expect(otherGrid.series[0].seriesInstanceUid).not.toBe(first.seriesInstanceUid);
    // A smaller rerun into the same folder leaves no slices of the larger one behind.
    expect(readdirSync(otherGrid.series[0].dicomDir)).toHaveLength(12);
  });
});

describe('ssmtl sample', () => {
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [join(import.meta.dirname, '../../bin/ssmtl.mjs'), 'sample', ...args], {
      encoding: 'utf8',
      env: { ...process.env, SSMTL_QUIET: '1' },
    });

  it('prints one JSON document naming every series it wrote', () => {
    const out = mkdtempSync(join(tmpdir(), 'ssmtl-sample-cli-'));
    const run = cli(['--out', out, '--subjects', '1', '--slices', '11', '--size', '32', '--seed', '2', '--json']);
    expect(run.status).toBe(0);
    const document = JSON.parse(run.stdout) as {
      out: string;
      series: { subject: number; id: string; dicom: string; labels: string; slices: number }[];
    };
    expect(document.out).toBe(out);
    expect(document.series).toHaveLength(1);
    const [series] = document.series;
    expect(series.subject).toBe(0);
    expect(series.slices).toBe(11);
    expect(series.id).toMatch(/^2\.25\.\d+$/);
    expect(readdirSync(series.dicom)).toHaveLength(11);
    expect(readNifti(new Uint8Array(readFileSync(series.labels))).dims).toEqual([32, 32, 11]);
  });

  it('exits 2 with a one-line message on bad values', () => {
    const out = mkdtempSync(join(tmpdir(), 'ssmtl-sample-cli-'));
    writeFileSync(join(out, 'keep.txt'), 'untouched');
    for (const [args, flag] of [
      [['--out', out, '--size', '16'], '--size'],
      [['--out', out, '--slices', '10'], '--slices'],
      [[], '--out'],
    ] as const) {
      const run = cli([...args]);
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toContain(flag);
      expect(run.stdout).toBe('');
    }
    expect(readdirSync(out)).toEqual(['keep.txt']);
  });
});
