import { describe, expect, it } from 'vitest';
import { sliceThumbnail, THUMBNAIL_SIDE } from './thumbnail.ts';

describe("the Library's thumbnail of a slice", () => {
  it('shrinks a 512² CT slice to 128² and shows it in a soft-tissue window (-160 to 240 HU)', () => {
    const values = new Float32Array(512 * 512).fill(-1000); // air
    values.fill(40, 256 * 512, 257 * 512); // a row of soft tissue at the window's centre
    values.fill(1200, 0, 4); // bone in the first pixel
    const { grey, rows, cols } = sliceThumbnail(values, 512, 512, 'CT');
    expect([rows, cols]).toEqual([THUMBNAIL_SIDE, THUMBNAIL_SIDE]);
    expect(grey.length).toBe(128 * 128);
    expect(grey[0]).toBe(255); // every 4th pixel of every 4th row: the first pixel is sampled
    expect(Math.abs(grey[64 * 128 + 5] - 127.5)).toBeLessThanOrEqual(0.5); // row 256 is sampled row 64: 40 HU is mid-grey
    expect(grey[10 * 128 + 10]).toBe(0); // air is black
  });

  it("keeps a small slice's size and shows other modalities on the range of what is shown", () => {
    const values = Float32Array.from({ length: 20 * 30 }, (_, i) => 100 + i);
    const { grey, rows, cols } = sliceThumbnail(values, 20, 30, 'MR');
    expect([rows, cols]).toEqual([20, 30]);
    expect(grey[0]).toBe(0);
    expect(grey[grey.length - 1]).toBe(255);
  });

  it('keeps the aspect of a slice that is not square', () => {
    const { rows, cols } = sliceThumbnail(new Float32Array(100 * 300), 100, 300, null);
    expect([rows, cols]).toEqual([34, 100]); // every 3rd pixel
  });
});
