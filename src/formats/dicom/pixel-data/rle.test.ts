import { describe, expect, it } from 'vitest';
import { PixelDataError } from './errors.ts';
import type { PixelLayout } from './pixel-layout.ts';
import { decodeRleFrame } from './rle.ts';

const LAYOUT: PixelLayout = {
  transferSyntaxUid: '1.2.840.10008.1.2.5',
  rows: 2,
  cols: 4,
  bitsAllocated: 8,
  bitsStored: 8,
  highBit: 7,
  pixelRepresentation: 0,
  samplesPerPixel: 1,
  photometricInterpretation: 'MONOCHROME2',
  planarConfiguration: 0,
  numberOfFrames: 1,
};

/** An RLE frame: the 64-byte header, then the segments. */
function rleFrame(...segments: number[][]): Uint8Array {
  const frame = new Uint8Array(64 + segments.reduce((n, s) => n + s.length, 0));
  const header = new DataView(frame.buffer);
  header.setUint32(0, segments.length, true);
  let at = 64;
  segments.forEach((segment, s) => {
    header.setUint32(4 + 4 * s, at, true);
    frame.set(segment, at);
    at += segment.length;
  });
  return frame;
}

describe('decodeRleFrame', () => {
  it('decodes literal runs, replicate runs and skips the -128 no-op', () => {
    // literal 3 bytes (n = 2), no-op (0x80), replicate 5 × 9 (n = -4 = 0xfc)
    const pixels = decodeRleFrame(rleFrame([2, 1, 2, 3, 0x80, 0xfc, 9]), LAYOUT);
    expect(Array.from(pixels)).toEqual([1, 2, 3, 9, 9, 9, 9, 9]);
  });

  it('puts segment 0 in the most significant byte of 16-bit samples, then sign-extends', () => {
    const layout = { ...LAYOUT, rows: 1, cols: 2, bitsAllocated: 16, bitsStored: 12, highBit: 11, pixelRepresentation: 1 as const };
    // samples 0x0FFF (−1 in 12 bits) and 0x0123
    const pixels = decodeRleFrame(rleFrame([1, 0x0f, 0x01], [1, 0xff, 0x23]), layout);
    expect(pixels).toBeInstanceOf(Int16Array);
    expect(Array.from(pixels)).toEqual([-1, 0x123]);
  });

  it('tolerates a padding byte at the end of a segment', () => {
    expect(Array.from(decodeRleFrame(rleFrame([0xf9, 7, 0]), LAYOUT))).toEqual([7, 7, 7, 7, 7, 7, 7, 7]);
  });

  it('refuses the wrong number of segments', () => {
    expect(() => decodeRleFrame(rleFrame([0xf9, 7], [0xf9, 7]), LAYOUT)).toThrow(
      new PixelDataError('RLE frame has 2 segments, 8-bit samples need 1'),
    );
  });

  it('refuses a segment that decodes short', () => {
    expect(() => decodeRleFrame(rleFrame([0xfc, 7]), LAYOUT)).toThrow(/RLE segment 1 decodes to 5 bytes, 2 × 4 needs 8/);
  });

  it('refuses, before allocating, a segment far too short for the declared size', () => {
    const huge = { ...LAYOUT, rows: 16384, cols: 16384 };
    expect(() => decodeRleFrame(rleFrame([0x81, 7]), huge)).toThrow(/RLE segment 1 is too short \(2 bytes\) for 16384 × 16384 pixels/);
  });

  it('refuses a frame shorter than its header and segment offsets outside the frame', () => {
    expect(() => decodeRleFrame(new Uint8Array(10), LAYOUT)).toThrow(/shorter than its 64-byte header/);
    const frame = rleFrame([0xf9, 7]);
    new DataView(frame.buffer).setUint32(4, 5000, true);
    expect(() => decodeRleFrame(frame, LAYOUT)).toThrow(/RLE segment 1 lies outside the frame/);
  });
});
