import { describe, expect, it } from 'vitest';
import { decodeFrame } from './decode-frame.ts';
import { PixelDataError } from './errors.ts';
import { loadDicom, REAL } from '../../../../tests/helpers/dicom-fixtures.ts';

/**
 * Real scans from pydicom's test files (tests/fixtures/real/README.md). Expected values
 * were read with pydicom 2.3.1 (`ds.pixel_array`) and, for MR_small, checked against
 * `dcmdump +P 7fe0,0010` (0389\03fb… = 905, 1019); JPEG2000.dcm against gdcm's decoding.
 */
async function decode(file: string, frame = 0) {
  const { dataSet, layout } = loadDicom(new URL(file, REAL));
  return { layout, pixels: await decodeFrame(dataSet, frame, layout) };
}

function sum(values: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i];
  return total;
}

function reasonOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'decoded without error',
    (error: unknown) => (error instanceof PixelDataError ? error.reason : `not a PixelDataError: ${String(error)}`),
  );
}

describe('real files', () => {
  it('MR_small.dcm: known stored values', async () => {
    const { pixels } = await decode('MR_small.dcm');
    expect(pixels).toBeInstanceOf(Int16Array);
    expect([0, 1, 64, 2080, 4095].map((i) => pixels[i])).toEqual([905, 1019, 628, 182, 862]);
    expect(sum(pixels)).toBe(2125338);
  });

  it('MR_small in every encoding decodes to the same pixels', async () => {
    const { pixels: reference } = await decode('MR_small.dcm');
    for (const file of [
      'MR_small_implicit.dcm',
      'MR_small_bigendian.dcm',
      'MR_small_expb.dcm',
      'MR_small_RLE.dcm',
      'MR_small_jp2klossless.dcm',
      'MR_small_jpeg_ls_lossless.dcm',
      'MR_small_padded.dcm',
    ]) {
      const { pixels } = await decode(file);
      expect(Array.from(pixels), file).toEqual(Array.from(reference));
    }
  });

  it('CT_small.dcm: known stored values', async () => {
    const { pixels } = await decode('CT_small.dcm');
    expect([0, 1, 128, 8256, 16383].map((i) => pixels[i])).toEqual([175, 180, 186, 1928, 909]);
    expect(sum(pixels)).toBe(14826310);
  });

  it('rtdose: 32-bit, 15 frames, in implicit LE, explicit BE and RLE', async () => {
    for (const file of ['rtdose.dcm', 'rtdose_expb.dcm', 'rtdose_rle.dcm']) {
      const { layout } = loadDicom(new URL(file, REAL));
      expect(layout.numberOfFrames).toBe(15);
      const frames = [];
      for (let f = 0; f < 15; f++) frames.push((await decode(file, f)).pixels);
      expect(frames[0]).toBeInstanceOf(Uint32Array);
      const all = frames.flatMap((frame) => Array.from(frame));
      expect(
        [0, 1, 100, 777, 1499].map((i) => all[i]),
        file,
      ).toEqual([1249000, 1249000, 1248000, 888000, 799000]);
      expect(sum(all), file).toBe(1519910000);
    }
  });

  it('image_dfl.dcm: deflated explicit VR little endian (inflated by the caller)', async () => {
    const { pixels } = await decode('image_dfl.dcm');
    expect(pixels).toBeInstanceOf(Uint8Array);
    expect([0, 1, 1000].map((i) => pixels[i])).toEqual([213, 213, 90]);
    expect(sum(pixels)).toBe(33322688);
  });

  it('JPEG2000.dcm: lossy JPEG 2000, as gdcm decodes it', async () => {
    const { pixels } = await decode('JPEG2000.dcm');
    expect(pixels).toHaveLength(1024 * 256);
    expect([0, 1, 1000, 131072, 262143].map((i) => pixels[i])).toEqual([0, 0, 0, 1, 0]);
    expect(sum(pixels)).toBe(3527976);
  });

  it('J2K_pixelrep_mismatch.dcm: unsigned codestream under PixelRepresentation 1 is sign-corrected as pydicom does', async () => {
    const { pixels } = await decode('J2K_pixelrep_mismatch.dcm');
    expect(pixels).toBeInstanceOf(Int16Array);
    const at = (row: number, col: number) => pixels[row * 512 + col];
    // The values pydicom's test_pixel_rep_mismatch asserts (pydicom issue #1149).
    expect(at(0, 0)).toBe(-2000);
    expect(Array.from({ length: 10 }, (_, k) => at(47 + k, 279))).toEqual([621, 412, 138, -193, -520, -767, -907, -966, -988, -995]);
    expect(Array.from({ length: 10 }, (_, k) => at(328 + k, 106))).toEqual([-377, -121, 141, 383, 633, 910, 1198, 1455, 1638, 1732]);
  });

  it('693_J2KI.dcm: codestream precision above BitsStored, as gdcm decodes it', async () => {
    const { pixels } = await decode('693_J2KI.dcm');
    expect([0, 1, 1000, 100000].map((i) => pixels[i])).toEqual([-2016, -2016, -2016, 1704]);
    expect(sum(pixels)).toBe(-2181784);
  });

  it('liver_1frame.dcm: 1-bit segmentation, unpacked to 0/1', async () => {
    const { pixels } = await decode('liver_1frame.dcm');
    expect(pixels).toHaveLength(512 * 512);
    expect(sum(pixels)).toBe(36233);
    expect([74493, 74494, 74495].map((i) => pixels[i])).toEqual([0, 1, 1]);
  });

  it('MR_truncated.dcm: pixel data shorter than declared', async () => {
    expect(await reasonOf(decode('MR_truncated.dcm'))).toBe('pixel data shorter than declared (8130 of 8192 bytes for 64 × 64 × 16 bits)');
  });

  it('JPGExtended.dcm: 12-bit JPEG Extended is refused with a reason', async () => {
    expect(await reasonOf(decode('JPGExtended.dcm'))).toMatch(/^12-bit lossy JPEG \(JPEG Extended, process 4\) is not supported/);
  });

  it('rtplan.dcm and test-SR.dcm: no pixel data', async () => {
    for (const file of ['rtplan.dcm', 'test-SR.dcm']) {
      const { dataSet } = loadDicom(new URL(file, REAL));
      const layout = { ...loadDicom(new URL('MR_small.dcm', REAL)).layout, transferSyntaxUid: dataSet.string('x00020010') ?? '' };
      expect(await reasonOf(decodeFrame(dataSet, 0, layout)), file).toBe('no pixel data (7FE0,0010) in the file');
    }
  });

  it('SC_rgb_rle.dcm: colour is refused', async () => {
    expect(await reasonOf(decode('SC_rgb_rle.dcm'))).toBe('colour images (samples per pixel 3, RGB) are not supported');
  });
});
