import { describe, expect, it } from 'vitest';
import { checkLayout, storedPixelsFromSamples, storedValueOf, type PixelLayout } from './pixel-layout.ts';

const CT: PixelLayout = {
  transferSyntaxUid: '1.2.840.10008.1.2.1',
  rows: 2,
  cols: 2,
  bitsAllocated: 16,
  bitsStored: 12,
  highBit: 11,
  pixelRepresentation: 1,
  samplesPerPixel: 1,
  photometricInterpretation: 'MONOCHROME2',
  planarConfiguration: 0,
  numberOfFrames: 1,
};

describe('stored values', () => {
  it('masks to BitsStored and sign-extends', () => {
    const toStored = storedValueOf(CT);
    expect([0x0000, 0x07ff, 0x0800, 0x0fff, 0xf800, 0x1001].map(toStored)).toEqual([0, 2047, -2048, -1, -2048, 1]);
  });

  it('shifts by HighBit + 1 − BitsStored when the stored bits do not start at bit 0', () => {
    const toStored = storedValueOf({ ...CT, bitsStored: 12, highBit: 15, pixelRepresentation: 0 });
    expect(toStored(0xabc5)).toBe(0xabc);
  });

  it('handles 32 bits stored', () => {
    expect(storedValueOf({ ...CT, bitsAllocated: 32, bitsStored: 32, highBit: 31, pixelRepresentation: 0 })(0xffffffff)).toBe(0xffffffff);
    expect(storedValueOf({ ...CT, bitsAllocated: 32, bitsStored: 32, highBit: 31 })(0xffffffff)).toBe(-1);
  });

  it('clamps codec values that overshoot the stored range, sign-extends bit patterns', () => {
    expect(Array.from(storedPixelsFromSamples(new Int16Array([-2052, 2060, -5, 5]), CT))).toEqual([-2048, 2047, -5, 5]);
    expect(Array.from(storedPixelsFromSamples(new Uint16Array([0xfff, 0x800, 5, 0]), CT))).toEqual([-1, -2048, 5, 0]);
    const unsigned = { ...CT, pixelRepresentation: 0 as const };
    expect(Array.from(storedPixelsFromSamples(new Uint16Array([4097, 4095, 0, 1]), unsigned))).toEqual([4095, 4095, 0, 1]);
  });
});

describe('checkLayout', () => {
  it('accepts a grayscale layout', () => {
    expect(() => checkLayout(CT, 0)).not.toThrow();
  });

  it.each([
    [
      { samplesPerPixel: 3, photometricInterpretation: 'YBR_FULL_422' },
      'colour images (samples per pixel 3, YBR_FULL_422) are not supported',
    ],
    [{ photometricInterpretation: 'PALETTE COLOR' }, 'colour images (samples per pixel 1, PALETTE COLOR) are not supported'],
    [{ rows: 0 }, 'invalid image size: 0 rows × 2 columns'],
    [{ bitsAllocated: 64 }, 'unsupported bits allocated 64 (expected 1, 8, 16 or 32)'],
    [{ bitsStored: 17 }, 'invalid bits stored 17 for bits allocated 16'],
    [{ highBit: 3 }, 'invalid high bit 3 for bits stored 12 and bits allocated 16'],
    [{ numberOfFrames: 0 }, 'invalid number of frames 0'],
  ] as Array<[Partial<PixelLayout>, string]>)('refuses %o', (change, reason) => {
    expect(() => checkLayout({ ...CT, ...change }, 0)).toThrow(reason);
  });

  it('refuses a frame index out of range', () => {
    expect(() => checkLayout(CT, 1)).toThrow('frame 1 requested, but the image has 1 frame(s)');
  });
});
