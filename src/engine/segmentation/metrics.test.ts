import { describe, expect, it } from 'vitest';
import { OverlapCounts } from './metrics.ts';

describe('OverlapCounts', () => {
  it('IoU and Dice per class, pooled over slices; mIoU leaves out background and undefined classes', () => {
    const counts = new OverlapCounts([0, 1, 2, 3]);
    counts.add(new Uint16Array([1, 1, 0, 0]), new Uint16Array([1, 0, 0, 0]));
    counts.add(new Uint16Array([2, 0, 0, 0]), new Uint16Array([0, 0, 0, 0]));
    const iou = counts.iou();
    expect(iou['1']).toBeCloseTo(1 / 2);
    expect(iou['2']).toBe(0); // predicted, never true
    expect(iou['3']).toBeNull(); // neither predicted nor true
    expect(counts.dice()['1']).toBeCloseTo(2 / 3);
    expect(counts.miou()).toBeCloseTo((0.5 + 0) / 2);
    const other = new OverlapCounts([0, 1, 2, 3]);
    other.add(new Uint16Array([1]), new Uint16Array([1]));
    counts.merge(other);
    expect(counts.iou()['1']).toBeCloseTo(2 / 3);
  });
});
