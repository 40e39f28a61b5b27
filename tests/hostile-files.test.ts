import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { scanPaths } from '../src/engine/node/import/scan-paths.ts';
import { parseDicomBytes } from '../src/formats/dicom/parse-part10.ts';
import { referencedFiles } from '../src/formats/dicom/read-dicomdir.ts';
import { readImageHeader, UnusableImageError } from '../src/formats/dicom/read-image-header.ts';
import { readSeg, SegError } from '../src/formats/dicom-seg/read-seg.ts';
import { NiftiError, readNifti } from '../src/formats/nifti/read-nifti.ts';
import { writeNifti } from '../src/formats/nifti/write-nifti.ts';
import { encapsulated, part10, sequence, text, us } from './helpers/raw-dicom.ts';
import { writeDicom } from './helpers/write-dicom.ts';

/**
 * One regression test per defect the fuzzers (tests/fuzz) found in the readers. Each
 * input is rebuilt here by hand, small and readable, rather than kept as a random blob.
 */
const IMAGE = [
  text(0x00080016, 'UI', '1.2.840.10008.5.1.4.1.1.2'),
  text(0x00080018, 'UI', '2.25.7'),
  text(0x0020000e, 'UI', '2.25.9'),
  us(0x00280002, 1),
  text(0x00280004, 'CS', 'MONOCHROME2'),
];

/** A 2 × 2 × 2 int16 volume on the identity grid. */
function tinyNifti(): Uint8Array {
  const identity = [0, 1, 2, 3].map((r) => [0, 1, 2, 3].map((c) => (r === c ? 1 : 0)));
  return writeNifti({ data: new Int16Array(8), dims: [2, 2, 2], pixdim: [1, 1, 1], affine: identity });
}

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'ssmtl-hostile-'));
}

describe('readers refuse hostile files with their own errors, quickly and without allocating', () => {
  it('a DICOMDIR cannot make a scan read files outside its folder', () => {
    const root = scratch();
    const outside = join(root, 'OUTSIDE.DCM');
    writeFileSync(outside, writeDicom({ seriesUid: '2.25.66' }));
    mkdirSync(join(root, 'disc'));
    const references = ['..\\OUTSIDE.DCM', '.', '..', 'A\\..\\..\\OUTSIDE.DCM', 'C:\\OUTSIDE.DCM', '\\OUTSIDE.DCM', 'A/../../OUTSIDE.DCM'];
    const records = references.map((id) => [text(0x00041430, 'CS', 'IMAGE'), text(0x00041500, 'CS', id)]);
    const dicomdir = part10('1.2.840.10008.1.2.1', [sequence(0x00041220, records)], new Uint8Array(0), '1.2.840.10008.1.3.10');
    writeFileSync(join(root, 'disc', 'DICOMDIR'), dicomdir);

    expect(referencedFiles(parseDicomBytes(dicomdir).dataSet)).toEqual({ files: [], refused: references });
    const { result } = scanPaths([join(root, 'disc', 'DICOMDIR')]);
    expect(result.series).toEqual([]);
    expect(result.skipped.map((s) => s.path)).toEqual([join(root, 'disc', 'DICOMDIR')]);
    expect(result.skipped[0].reason).toMatch(/7 reference\(s\) that are no file inside its folder ignored/);
  });

  it('an element that runs past the end of the file is a truncated file, not a thrown string', () => {
    // Explicit-VR elements under the implicit syntax: read as implicit, SOP Class UID's "length" is 1.7 MB.
    const bytes = part10('1.2.840.10008.1.2', [...IMAGE, us(0x00280010, 2), us(0x00280011, 2)]);
    const { dataSet, truncated } = parseDicomBytes(bytes);
    expect(truncated).toBe(true);
    expect(() => readImageHeader(dataSet, { truncated })).toThrow(UnusableImageError);
    const dir = scratch();
    writeFileSync(join(dir, 'x.dcm'), bytes);
    expect(scanPaths([dir]).result.skipped[0].reason).toMatch(/^truncated file|^not an image|pixel data/);
  });

  it('an encapsulated image claiming 2e9 frames in one fragment is refused at once', () => {
    const body = [
      ...IMAGE,
      text(0x00280008, 'IS', '2000000000'),
      us(0x00280010, 1),
      us(0x00280011, 1),
      us(0x00280100, 16),
      us(0x00280101, 16),
      us(0x00280102, 15),
      us(0x00280103, 0),
    ];
    const bytes = part10('1.2.840.10008.1.2.4.80', body, encapsulated([], [Uint8Array.from([0xff, 0xd8, 0xff, 0xf7])]));
    const started = performance.now();
    expect(() => readImageHeader(parseDicomBytes(bytes).dataSet)).toThrow(
      new UnusableImageError('NumberOfFrames is 2000000000, but the compressed pixel data has only 1 fragment(s)'),
    );
    expect(performance.now() - started).toBeLessThan(1000);
    const empty = part10(
      '1.2.840.10008.1.2.4.80',
      [...body.slice(0, 5), us(0x00280010, 255), us(0x00280011, 65535), us(0x00280100, 16)],
      encapsulated([], []),
    );
    expect(() => readImageHeader(parseDicomBytes(empty).dataSet)).toThrow(/holds no compressed fragments/);
  });

  it('a .nii.gz whose trailer declares gigabytes is refused before anything is inflated', () => {
    const volume = tinyNifti();
    const gz = gzipSync(volume);
    new DataView(gz.buffer, gz.byteOffset).setUint32(gz.length - 4, 0xfffffff0, true);
    expect(() => readNifti(gz)).toThrow(
      new NiftiError(
        `corrupt gzip stream (it declares ${0xfffffff0} uncompressed bytes, more than its ${gz.length} bytes can hold): truncated or damaged`,
      ),
    );
  });

  it('NIfTI headers the parser library rejects by throwing are a NiftiError', () => {
    const volume = tinyNifti();
    for (const bytes of [volume.slice(0, 3), volume.slice(0, 200), Uint8Array.from([0x1f, 0x8b])])
      expect(() => readNifti(bytes)).toThrow(NiftiError);
    // sizeof_hdr 348 with a NIfTI-2 magic: nifti-reader-js throws a plain Error.
    const confused = volume.slice();
    confused.set([0x6e, 0x2b, 0x32, 0], 344);
    expect(() => readNifti(confused)).toThrow(NiftiError);
  });

  it('a DICOM SEG with a damaged element length is refused without allocating that length', () => {
    const seg = part10('1.2.840.10008.1.2.1', [text(0x00080016, 'UI', '1.2.840.10008.5.1.4.1.1.66.4'), text(0x00080060, 'CS', 'SEG')]);
    // The meta header's ImplementationClassUID-style element: its 2-byte length becomes 0xFFFF-ish, its neighbour's 4-byte length 3 GB.
    const damaged = seg.slice();
    new DataView(damaged.buffer).setUint32(152, 0xcdfe0000, true); // (0002,0001) OB length
    const before = process.memoryUsage().arrayBuffers;
    expect(() => readSeg(damaged)).toThrow(SegError);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
    expect(() => readSeg(seg.subarray(0, 100))).toThrow(SegError);
  });
});
