import type { DataSet, Element } from 'dicom-parser';
import { describe, expect, it } from 'vitest';
import { decodeFrame } from './decode-frame.ts';
import { PixelDataError } from './errors.ts';
import { GENERATED, loadDicom } from '../../../../tests/helpers/dicom-fixtures.ts';

/** Bad input must end in a PixelDataError with a reason, never another exception or a hang. */
function reasonOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'decoded without error',
    (error: unknown) => (error instanceof PixelDataError ? error.reason : `not a PixelDataError: ${String(error)}`),
  );
}

/** A copy of the data set whose bytes and pixel data element can be tampered with. */
function tamperable(file: string) {
  const { dataSet, layout } = loadDicom(new URL(file, GENERATED));
  const byteArray = dataSet.byteArray.slice();
  const original = dataSet.elements.x7fe00010;
  const element: Element = { ...original, fragments: original.fragments?.map((fragment) => ({ ...fragment })) };
  const copy: DataSet = Object.assign(Object.create(Object.getPrototypeOf(dataSet)) as DataSet, dataSet, {
    byteArray,
    elements: { ...dataSet.elements, x7fe00010: element },
  });
  return { dataSet: copy, layout, element, byteArray };
}

const ENCAPSULATED = [
  'ct-s16.rle.dcm',
  'sc-u8.jpeg-baseline.dcm',
  'ct-s16.jpeg-ll-sv1.dcm',
  'ct-s16.jpeg-ll14.dcm',
  'ct-s16.jpegls.dcm',
  'ct-s16.j2k.dcm',
  'mr-u12.j2k-lossy.dcm',
];

describe('bad input', () => {
  it('a header claiming 60000 × 60000 × 5000 is refused before anything is allocated', async () => {
    const { dataSet, layout } = loadDicom(new URL('ct-s16.dcm', GENERATED));
    const huge = { ...layout, rows: 60000, cols: 60000, numberOfFrames: 5000 };
    expect(await reasonOf(decodeFrame(dataSet, 0, huge))).toMatch(/^frame of 60000 × 60000 pixels is larger than we decode/);
    // Under the size limit, the length check catches it: 16000 × 16000 × 5000 frames would be 2.5 TB.
    const many = { ...layout, rows: 16000, cols: 16000, numberOfFrames: 5000 };
    expect(await reasonOf(decodeFrame(dataSet, 4999, many))).toBe(
      'pixel data shorter than declared (8192 of 2560000000000 bytes for 5000 frames of 16000 × 16000 × 16 bits)',
    );
  });

  it('native pixel data cut short', async () => {
    const { dataSet, layout, element } = tamperable('ct-s16.dcm');
    element.length = 1000;
    expect(await reasonOf(decodeFrame(dataSet, 0, layout))).toBe(
      'pixel data shorter than declared (1000 of 8192 bytes for 64 × 64 × 16 bits)',
    );
  });

  it('no pixel data element', async () => {
    const { dataSet, layout } = tamperable('ct-s16.dcm');
    dataSet.elements = Object.fromEntries(Object.entries(dataSet.elements).filter(([tag]) => tag !== 'x7fe00010'));
    expect(await reasonOf(decodeFrame(dataSet, 0, layout))).toBe('no pixel data (7FE0,0010) in the file');
  });

  it('unsupported transfer syntaxes are named', async () => {
    const { dataSet, layout } = loadDicom(new URL('ct-s16.dcm', GENERATED));
    expect(await reasonOf(decodeFrame(dataSet, 0, { ...layout, transferSyntaxUid: '1.2.840.10008.1.2.4.100' }))).toBe(
      'unsupported transfer syntax MPEG2 Main Profile / Main Level (1.2.840.10008.1.2.4.100)',
    );
    expect(await reasonOf(decodeFrame(dataSet, 0, { ...layout, transferSyntaxUid: '1.2.3.4' }))).toBe(
      'unsupported transfer syntax 1.2.3.4 (not a transfer syntax we know)',
    );
  });

  it('bits allocated outside 1, 8, 16, 32', async () => {
    const { dataSet, layout } = loadDicom(new URL('ct-s16.dcm', GENERATED));
    expect(await reasonOf(decodeFrame(dataSet, 0, { ...layout, bitsAllocated: 12, bitsStored: 12, highBit: 11 }))).toBe(
      'unsupported bits allocated 12 (expected 1, 8, 16 or 32)',
    );
  });

  it('colour', async () => {
    const { dataSet, layout } = loadDicom(new URL('ct-s16.dcm', GENERATED));
    expect(await reasonOf(decodeFrame(dataSet, 0, { ...layout, samplesPerPixel: 3, photometricInterpretation: 'RGB' }))).toBe(
      'colour images (samples per pixel 3, RGB) are not supported',
    );
  });

  it('a compressed frame whose size disagrees with rows × cols', async () => {
    for (const file of ENCAPSULATED) {
      const { dataSet, layout } = loadDicom(new URL(file, GENERATED));
      const reason = await reasonOf(decodeFrame(dataSet, 0, { ...layout, rows: 32 }));
      expect(reason, file).toMatch(/(frame is 64 × 64 pixels, the header says 32 × 64|RLE segment 1 decodes to)/);
    }
  });

  it('a compressed frame cut in half', async () => {
    for (const file of ENCAPSULATED) {
      const { dataSet, layout, element } = tamperable(file);
      element.fragments![0].length = Math.floor(element.fragments![0].length / 2);
      const reason = await reasonOf(decodeFrame(dataSet, 0, layout));
      // Some codecs decode a truncated stream to a (partly grey) frame of the right size;
      // that is acceptable. Anything else must be a PixelDataError.
      expect(reason, file).not.toMatch(/^not a PixelDataError/);
    }
  });

  it('a compressed frame with garbage in the middle', async () => {
    for (const file of ENCAPSULATED) {
      const { dataSet, layout, element, byteArray } = tamperable(file);
      const { position, length } = element.fragments![0];
      let seed = 12345;
      for (let i = position + Math.floor(length / 3); i < position + length; i++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        byteArray[i] = seed >>> 24;
      }
      const reason = await reasonOf(decodeFrame(dataSet, 0, layout));
      expect(reason, file).not.toMatch(/^not a PixelDataError/);
    }
  });

  it('each codec keeps working after rejecting a frame', async () => {
    for (const file of ENCAPSULATED) {
      const { dataSet, layout, element } = tamperable(file);
      element.fragments![0].length = Math.floor(element.fragments![0].length / 2);
      await reasonOf(decodeFrame(dataSet, 0, layout));
      const good = loadDicom(new URL(file, GENERATED));
      expect(await decodeFrame(good.dataSet, 0, good.layout), file).toHaveLength(64 * 64);
    }
  });

  it('a fragment that runs past the end of the file', async () => {
    const { dataSet, layout, element } = tamperable('ct-s16.jpegls.dcm');
    element.fragments![0].length += 100;
    expect(await reasonOf(decodeFrame(dataSet, 0, layout))).toMatch(
      /^pixel data shorter than declared \(fragment 1 of 1 has \d+ of \d+ bytes\)$/,
    );
  });

  it('a compressed frame that is not what its transfer syntax says', async () => {
    const { dataSet, layout } = loadDicom(new URL('ct-s16.jpegls.dcm', GENERATED));
    // Within the JPEG family the codestream decides (JPEG-LS labelled JPEG Lossless is read).
    const relabelled = await decodeFrame(dataSet, 0, { ...layout, transferSyntaxUid: '1.2.840.10008.1.2.4.70' });
    expect(Array.from(relabelled)).toEqual(Array.from(await decodeFrame(dataSet, 0, layout)));
    expect(await reasonOf(decodeFrame(dataSet, 0, { ...layout, transferSyntaxUid: '1.2.840.10008.1.2.4.90' }))).toBe(
      'the JPEG 2000 frame has no JPEG 2000 codestream header (SOC, SIZ)',
    );
    const j2k = loadDicom(new URL('ct-s16.j2k.dcm', GENERATED));
    expect(await reasonOf(decodeFrame(j2k.dataSet, 0, { ...j2k.layout, transferSyntaxUid: '1.2.840.10008.1.2.4.50' }))).toBe(
      'the frame is not a JPEG codestream (no SOI and frame header)',
    );
    expect(await reasonOf(decodeFrame(dataSet, 0, { ...layout, transferSyntaxUid: '1.2.840.10008.1.2.1' }))).toBe(
      'pixel data is encapsulated (compressed), but the transfer syntax is Explicit VR Little Endian',
    );
  });

  it('multi-frame fragments that cannot be assigned to frames', async () => {
    const { dataSet, layout, element } = tamperable('ct-s12-3f.jpeg-ll-sv1.fragments-nobot.dcm');
    element.fragments = element.fragments!.slice(1); // the first frame's SOI fragment is gone
    expect(await reasonOf(decodeFrame(dataSet, 1, layout))).toMatch(/^cannot tell which of the \d+ pixel data fragments make frame 2 of 3/);
  });
});
