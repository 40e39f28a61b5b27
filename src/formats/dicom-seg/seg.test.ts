import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSeg } from './read-seg.ts';
import { writeSeg, type SegWriteInput } from './write-seg.ts';
import { labelValueForTypeCode, rgbToDicomLab } from './segment-codes.ts';

const ROWS = 5;
const COLS = 7;
const SLICES = 3;

function input(labels: Uint16Array): SegWriteInput {
  return {
    source: {
      patient: { PatientName: 'Doe^Jane', PatientID: 'P1', PatientBirthDate: '', PatientSex: 'O' },
      study: {
        StudyInstanceUID: '2.25.1',
        StudyDate: '20240101',
        StudyTime: '120000',
        ReferringPhysicianName: '',
        StudyID: '1',
        AccessionNumber: '',
      },
      seriesInstanceUid: '2.25.2',
      frameOfReferenceUid: '2.25.3',
      orientation: [1, 0, 0, 0, 1, 0],
      pixelSpacing: [0.8, 0.7],
      sliceThickness: 2.5,
      slices: Array.from({ length: SLICES }, (_, k) => ({
        sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
        sopInstanceUid: `2.25.10${k}`,
        frameNumber: null,
        position: [-10, -20, 2.5 * k] as [number, number, number],
      })),
    },
    rows: ROWS,
    cols: COLS,
    labels,
    segments: [
      { value: 500, name: 'LV', color: '#ff0000' },
      { value: 600, name: 'RV', color: '#00ff00' },
      { value: 42, name: 'other', color: '#123456' },
    ],
    algorithm: 'test algorithm',
    seriesDescription: 'test segmentation',
    seriesNumber: 900,
    uids: { series: '2.25.4', instance: '2.25.5', dimensionOrganization: '2.25.6', implementationClass: '2.25.7' },
    created: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)),
    software: { manufacturer: 'SSMTL Studio', model: 'test', version: '0', deviceSerialNumber: '1' },
  };
}

/** Labels whose pixel count is odd per frame, so frames share bytes in the bit-packed data. */
function labels(): Uint16Array {
  const out = new Uint16Array(SLICES * ROWS * COLS);
  for (let k = 0; k < SLICES; k++)
    for (let p = 0; p < ROWS * COLS; p++) out[k * ROWS * COLS + p] = k === 1 && p % 3 === 0 ? 500 : k === 2 && p < 9 ? 600 : 0;
  return out;
}

describe('DICOM SEG', () => {
  it('round-trips: one frame per segment and slice it is on, bit-packed across frame boundaries', () => {
    const volume = labels();
    const seg = readSeg(writeSeg(input(volume)));
    expect(seg).toMatchObject({ rows: ROWS, cols: COLS, type: 'BINARY', referencedSeries: '2.25.2', frameOfReference: '2.25.3' });
    expect(seg.segments).toEqual([
      { number: 1, label: 'LV', labelValue: 500, typeCode: '87878005', typeScheme: 'SCT' },
      { number: 2, label: 'RV', labelValue: 600, typeCode: '53085002', typeScheme: 'SCT' },
      { number: 3, label: 'other', labelValue: 42, typeCode: '85756007', typeScheme: 'SCT' },
    ]);
    expect(labelValueForTypeCode('53085002', 'SCT')).toBe(600);
    expect(labelValueForTypeCode('85756007', 'SCT')).toBeNull();
    expect(seg.frames.map((f) => [f.segment, f.position?.[2], f.sourceInstance])).toEqual([
      [1, 2.5, '2.25.101'],
      [2, 5, '2.25.102'],
    ]);
    const plane = ROWS * COLS;
    expect(seg.frames[0].mask).toEqual(volume.slice(plane, 2 * plane).map((v) => (v === 500 ? 1 : 0)));
    expect(seg.frames[1].mask).toEqual(volume.slice(2 * plane).map((v) => (v === 600 ? 1 : 0)));
  });

  it('an empty volume still makes a valid object (one empty frame)', () => {
    const seg = readSeg(writeSeg(input(new Uint16Array(SLICES * ROWS * COLS))));
    expect(seg.frames).toHaveLength(1);
    expect(seg.frames[0].mask.every((v) => v === 0)).toBe(true);
  });

  it('CIELab of white and red', () => {
    const white = rgbToDicomLab('#ffffff');
    expect(white[0]).toBe(65535);
    // a* = b* = 0 encodes as 32896 (128/255 of the range); the 4-digit sRGB matrix is off by a few units
    expect(Math.abs(white[1] - 32896)).toBeLessThan(8);
    expect(Math.abs(white[2] - 32896)).toBeLessThan(8);
    const [l, a, b] = rgbToDicomLab('#ff0000');
    expect(l / 65535).toBeCloseTo(0.5324, 3);
    expect((a * 255) / 65535 - 128).toBeCloseTo(80.1, 0);
    expect((b * 255) / 65535 - 128).toBeCloseTo(67.2, 0);
  });

  it.skipIf(!existsSync('/usr/bin/dciodvfy'))('passes dciodvfy (dicom3tools) without errors', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ssmtl-seg-')), 'seg.dcm');
    writeFileSync(path, writeSeg(input(labels())));
    const result = spawnSync('/usr/bin/dciodvfy', [path], { encoding: 'utf8' });
    const output = `${result.stdout}${result.stderr}`;
    expect(output).toMatch(/Segmentation/);
    expect(output).not.toMatch(/^Error/m);
  });
});
