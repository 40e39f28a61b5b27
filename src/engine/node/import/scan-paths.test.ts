import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import dcmjs from 'dcmjs';
import { beforeEach, describe, expect, it } from 'vitest';
import { testUid, writeDicom, type TestImage } from '../../../../tests/helpers/write-dicom.ts';
import { writeNifti } from '../../../formats/nifti/write-nifti.ts';
import { scanPaths } from './scan-paths.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ssmtl-scan-'));
});

function put(name: string, image: TestImage): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, writeDicom(image));
  return path;
}

/** An axial stack, written under shuffled names with InstanceNumbers counting down. */
function writeStack(zs: number[], extra: Partial<TestImage> = {}): Map<number, string> {
  const seriesUid = extra.seriesUid ?? testUid();
  const byZ = new Map<number, string>();
  const shuffled = [...zs].sort((a, b) => ((a * 7919) % 13) - ((b * 7919) % 13));
  shuffled.forEach((z, i) => {
    const path = put(`f${String((i * 37) % 101).padStart(3, '0')}-${z}.dcm`, {
      seriesUid,
      position: [-10, 20, z],
      instanceNumber: 1000 - z,
      ...extra,
    });
    byZ.set(z, path);
  });
  return byZ;
}

describe('scan orders slices by position along the normal', () => {
  it('ignores file names and reversed InstanceNumbers', () => {
    const zs = [0, 2.5, 5, 7.5, 10, 12.5, 15, 17.5];
    const byZ = writeStack(zs);
    const { result } = scanPaths([dir]);
    expect(result.skipped).toEqual([]);
    expect(result.series).toHaveLength(1);
    const [series] = result.series;
    expect(series.files).toEqual(zs.map((z) => byZ.get(z)));
    expect(series.slices).toBe(8);
    expect(series.spacing).toEqual([0.5, 0.5, 2.5]);
    expect(series.warnings).toEqual([]);
    expect(series.modality).toBe('CT');
  });

  it('projects positions on the normal for oblique slices', () => {
    const angle = Math.PI / 6; // 30°, written with DICOM's 16-character decimal strings
    const row: [number, number, number] = [1, 0, 0];
    const column: [number, number, number] = [0, Math.cos(angle), Math.sin(angle)];
    const normal = [0, -Math.sin(angle), Math.cos(angle)];
    const seriesUid = testUid();
    const paths = [3, 1, 0, 2].map((k) =>
      put(`oblique-${k}.dcm`, {
        seriesUid,
        orientation: [...row, ...column],
        position: [5, 10 + 4 * k * normal[1], -3 + 4 * k * normal[2]],
        instanceNumber: 1,
      }),
    );
    const [series] = scanPaths([dir]).result.series;
    expect(series.files).toEqual([paths[2], paths[1], paths[3], paths[0]]);
    expect(series.spacing[2]).toBeCloseTo(4, 4);
    expect(series.warnings).toEqual([]);
  });

  it('warns about a gap, uneven spacing and a tilted gantry', () => {
    writeStack([0, 5, 10, 20, 25]);
    const gap = scanPaths([dir]).result.series[0];
    expect(gap.spacing[2]).toBe(5);
    expect(gap.warnings.join('\n')).toMatch(/gap of 10\.00 mm between slices 2 and 3/);

    dir = mkdtempSync(join(tmpdir(), 'ssmtl-scan-'));
    writeStack([0, 5, 10.4, 15, 20]);
    expect(scanPaths([dir]).result.series[0].warnings.join('\n')).toMatch(/uneven slice spacing/);

    dir = mkdtempSync(join(tmpdir(), 'ssmtl-scan-'));
    const seriesUid = testUid();
    [0, 1, 2, 3].forEach((k) => put(`tilt-${k}.dcm`, { seriesUid, position: [0, k * 1.5, k * 5] }));
    const tilted = scanPaths([dir]).result.series[0];
    expect(tilted.warnings.join('\n')).toMatch(/gantry tilt of 16\.7°/);
    expect(tilted.spacing[2]).toBeCloseTo(5, 6);
  });

  it('keeps one slice per position and reports the duplicates', () => {
    const byZ = writeStack([0, 3, 6]);
    const duplicate = put('copy-of-3.dcm', {
      seriesUid: scanPaths([dir]).result.series[0].id,
      position: [-10, 20, 3],
      instanceNumber: 5000,
    });
    const { result } = scanPaths([dir]);
    expect(result.series[0].slices).toBe(3);
    expect(result.series[0].files).toContain(byZ.get(3));
    expect(result.skipped).toEqual([{ path: duplicate, reason: expect.stringMatching(/duplicate slice position 3\.00 mm/) }]);
  });

  it('splits a scout of another size and orientation off its series', () => {
    writeStack([0, 4, 8, 12], { seriesUid: '2.25.77' });
    const scout = put('scout.dcm', {
      seriesUid: '2.25.77',
      orientation: [0, 1, 0, 0, 0, -1],
      position: [0, -100, 100],
      rows: 16,
      cols: 12,
    });
    const { result } = scanPaths([dir]);
    expect(result.series.map((s) => [s.id, s.slices])).toEqual([
      ['2.25.77', 4],
      ['2.25.77-part2', 1],
    ]);
    expect(result.series[1].files).toEqual([scout]);
    expect(result.series[1].warnings[0]).toMatch(
      /split from series 2\.25\.77: 1 image\(s\) of 12 × 16 sagittal unlike the main 8 × 8 axial/,
    );
  });

  it('says when a series is MONOCHROME1', () => {
    writeStack([0, 1], { photometric: 'MONOCHROME1' });
    expect(scanPaths([dir]).result.series[0].warnings).toEqual([expect.stringMatching(/^MONOCHROME1: low values display bright/)]);
  });

  it('falls back to InstanceNumber without positions, and says so', () => {
    const seriesUid = testUid();
    const paths = [3, 1, 2].map((n) => put(`n${n}.dcm`, { seriesUid, instanceNumber: n }));
    const [series] = scanPaths([dir]).result.series;
    expect(series.files).toEqual([paths[1], paths[2], paths[0]]);
    expect(series.warnings.join()).toMatch(/ordered by InstanceNumber/);
  });
});

describe('scan reports every file it cannot use, and goes on', () => {
  it('names the reason for each bad file', () => {
    writeStack([0, 1]);
    writeFileSync(join(dir, 'notes.txt'), 'not an image at all, just text '.repeat(10));
    writeFileSync(join(dir, 'tiny'), 'x');
    const whole = writeDicom({ position: [0, 0, 50], rows: 64, cols: 64 });
    writeFileSync(join(dir, 'truncated.dcm'), whole.subarray(0, whole.length - 3000));
    writeFileSync(join(dir, 'truncated-header.dcm'), whole.subarray(0, 300));
    put('report.dcm', { sopClassUid: '1.2.840.10008.5.1.4.1.1.88.33' });
    put('colour.dcm', { photometric: 'RGB', extra: { SamplesPerPixel: 3 } });
    put('absurd.dcm', { rows: 60000, cols: 60000, pixels: new Int16Array(64), extra: { NumberOfFrames: 5000 } });
    put('short.dcm', { rows: 8, cols: 8, extra: { NumberOfFrames: 40 } });
    put('odd-syntax.dcm', { position: [0, 0, 9], transferSyntaxUid: '1.2.3.4.5' });

    const { result } = scanPaths([dir]);
    const reasons = Object.fromEntries(result.skipped.map((s) => [basename(s.path), s.reason]));
    expect(result.series).toHaveLength(1);
    expect(reasons['notes.txt']).toMatch(/not a DICOM file/);
    expect(reasons['tiny']).toMatch(/not a DICOM file \(only 1 bytes\)/);
    expect(reasons['truncated.dcm']).toMatch(/truncated file: pixel data \(\d+ of 8192 bytes/);
    expect(reasons['truncated-header.dcm']).toMatch(/truncated/);
    expect(reasons['report.dcm']).toMatch(/structured report/);
    expect(reasons['colour.dcm']).toMatch(/colour image/);
    expect(reasons['absurd.dcm']).toMatch(/absurd dimensions \(60000 × 60000 × 5000 frames\)/);
    expect(reasons['short.dcm']).toMatch(/pixel data shorter than declared \(128 of 5120 bytes/);
    expect(reasons['odd-syntax.dcm']).toMatch(/unsupported transfer syntax 1\.2\.3\.4\.5/);
    expect(result.skipped).toHaveLength(9);
  });

  it('reads NIfTI images but leaves label volumes (intent LABEL) to annotations import', () => {
    const identity = [
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1],
    ];
    const volume = {
      data: new Int16Array(4 * 3 * 2),
      dims: [4, 3, 2] as [number, number, number],
      pixdim: [1, 1, 1] as [number, number, number],
      affine: identity,
    };
    writeFileSync(join(dir, 'image.nii'), writeNifti(volume));
    writeFileSync(join(dir, 'labels.nii.gz'), writeNifti({ ...volume, data: new Uint8Array(24), intent: 'label', gzip: true }));
    const { result } = scanPaths([dir]);
    expect(result.series.map((s) => [s.id, s.format, s.cols, s.rows, s.slices])).toEqual([[join(dir, 'image.nii'), 'nifti', 4, 3, 2]]);
    expect(result.skipped).toEqual([{ path: join(dir, 'labels.nii.gz'), reason: expect.stringMatching(/label volume/) }]);
  });

  it('checks large native files from their header and size alone, and falls back to the whole file for long headers', () => {
    const big = writeDicom({ position: [0, 0, 0], rows: 512, cols: 512, pixels: new Int16Array(512 * 512) });
    writeFileSync(join(dir, 'big-truncated.dcm'), big.subarray(0, big.length - 1000));
    const longHeader = writeDicom({
      position: [0, 0, 0],
      rows: 512,
      cols: 512,
      pixels: new Int16Array(512 * 512),
      extra: { ImageComments: 'x'.repeat(70_000), _vrMap: { PixelData: 'OW', ImageComments: 'UT' } },
    });
    writeFileSync(join(dir, 'long-header.dcm'), longHeader);
    const { result } = scanPaths([dir]);
    expect(result.skipped).toEqual([
      { path: join(dir, 'big-truncated.dcm'), reason: expect.stringMatching(/truncated file: pixel data \(523288 of 524288 bytes/) },
    ]);
    expect(result.series[0].files).toEqual([join(dir, 'long-header.dcm')]);
  });

  it('exits with a usage error for a path that does not exist', () => {
    expect(() => scanPaths([join(dir, 'nope')])).toThrow(/nope: no such file or folder/);
  });
});

describe('scan reads multi-frame files and DICOMDIRs', () => {
  it('orders the frames of an enhanced multi-frame file by their plane positions', () => {
    const zs = [9, 3, 6, 0];
    const frames = zs.map((z) => new Int16Array(16).fill(z));
    const pixels = new Int16Array(16 * zs.length);
    frames.forEach((frame, i) => pixels.set(frame, i * 16));
    const path = put('enhanced.dcm', {
      rows: 4,
      cols: 4,
      pixels,
      sopClassUid: '1.2.840.10008.5.1.4.1.1.2.1',
      extra: {
        NumberOfFrames: zs.length,
        SharedFunctionalGroupsSequence: [
          {
            PlaneOrientationSequence: [{ ImageOrientationPatient: [1, 0, 0, 0, 1, 0] }],
            PixelMeasuresSequence: [{ PixelSpacing: [0.7, 0.8], SliceThickness: 3 }],
            PixelValueTransformationSequence: [{ RescaleSlope: 1, RescaleIntercept: -1024 }],
          },
        ],
        PerFrameFunctionalGroupsSequence: zs.map((z) => ({ PlanePositionSequence: [{ ImagePositionPatient: [0, 0, z] }] })),
      },
    });
    const outcome = scanPaths([dir]);
    const [series] = outcome.result.series;
    expect(series.slices).toBe(4);
    expect(series.files).toEqual([path]);
    expect(series.spacing).toEqual([0.8, 0.7, 3]);
    expect(outcome.dicom[0].slices.map((s) => [s.frameIndex, s.position, s.rescaleIntercept])).toEqual([
      [3, 0, -1024],
      [1, 3, -1024],
      [2, 6, -1024],
      [0, 9, -1024],
    ]);
  });

  it('follows a DICOMDIR to the files it lists, whatever their case on disk', () => {
    const seriesUid = testUid();
    put('images/im1', { seriesUid, position: [0, 0, 1] });
    put('images/im2', { seriesUid, position: [0, 0, 2] });
    const { DicomDict, DicomMetaDictionary } = dcmjs.data;
    const dict = new DicomDict(
      DicomMetaDictionary.denaturalizeDataset({
        FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
        MediaStorageSOPClassUID: '1.2.840.10008.1.3.10',
        MediaStorageSOPInstanceUID: testUid(),
        TransferSyntaxUID: '1.2.840.10008.1.2.1',
        ImplementationClassUID: '2.25.3',
      }),
    );
    dict.dict = DicomMetaDictionary.denaturalizeDataset({
      FileSetID: 'TEST',
      DirectoryRecordSequence: [
        { DirectoryRecordType: 'IMAGE', ReferencedFileID: ['IMAGES', 'IM1'] },
        { DirectoryRecordType: 'IMAGE', ReferencedFileID: ['IMAGES', 'IM2'] },
      ],
    });
    const dicomdir = join(dir, 'DICOMDIR');
    writeFileSync(dicomdir, new Uint8Array(dict.write()));
    expect(readFileSync(dicomdir).length).toBeGreaterThan(132);

    const { result } = scanPaths([dicomdir]);
    expect(result.series).toHaveLength(1);
    expect(result.series[0].files.map((f) => basename(f))).toEqual(['im1', 'im2']);
    expect(result.skipped).toEqual([{ path: dicomdir, reason: expect.stringMatching(/DICOMDIR: a directory index listing 2 file\(s\)/) }]);
  });
});
