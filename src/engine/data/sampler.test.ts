import { describe, expect, it } from 'vitest';
import { epochOrder, headNames, planAnchors, stepsPerEpoch, targetIndices } from './sampler.ts';

const series = [
  { id: 'b', slices: 12, rows: 8, cols: 8 },
  { id: 'a', slices: 7, rows: 8, cols: 8 },
  { id: 'short', slices: 4, rows: 8, cols: 8 },
];

describe('SSMTL sampler (paper Sec. 3.2)', () => {
  it('takes anchors only where x_{j−t} and x_{j+t} exist in the same series', () => {
    const plan = planAnchors(series, [3]);
    expect(plan.anchors.filter((a) => a.series === 'a').map((a) => a.index)).toEqual([3]);
    expect(plan.anchors.filter((a) => a.series === 'b').map((a) => a.index)).toEqual([3, 4, 5, 6, 7, 8]);
    for (const anchor of plan.anchors) {
      const s = series.find((x) => x.id === anchor.series)!;
      for (const k of targetIndices(anchor, [3])) expect(k >= 0 && k < s.slices).toBe(true);
    }
    expect(targetIndices({ series: 'b', index: 5 }, [3])).toEqual([2, 8]);
  });

  it('skips a series shorter than 2t + 1 with a reason', () => {
    const plan = planAnchors(series, [3]);
    expect(plan.skipped).toHaveLength(1);
    expect(plan.skipped[0].series).toBe('short');
    expect(plan.skipped[0].reason).toMatch(/4 slices.*2t \+ 1 = 7/);
    expect(plan.used).toEqual(['a', 'b']);
  });

  it('with several t, needs every neighbour and gives 2·|T| targets in head order', () => {
    const plan = planAnchors(series, [1, 4]);
    expect(plan.anchors.filter((a) => a.series === 'b').map((a) => a.index)).toEqual([4, 5, 6, 7]);
    expect(plan.skipped.map((s) => s.series).sort()).toEqual(['a', 'short']);
    expect(headNames([1, 4])).toEqual(['t1-', 't1+', 't4-', 't4+']);
    expect(targetIndices({ series: 'b', index: 5 }, [1, 4])).toEqual([4, 6, 1, 9]);
  });

  it('shuffles each epoch from (seed, epoch) only: deterministic, and different across epochs and seeds', () => {
    const plan = planAnchors(series, [2]);
    const key = (xs: { series: string; index: number }[]) => xs.map((a) => `${a.series}${a.index}`).join(',');
    expect(key(epochOrder(plan, 7, 3))).toBe(key(epochOrder(plan, 7, 3)));
    expect(key(epochOrder(plan, 7, 3))).not.toBe(key(epochOrder(plan, 7, 4)));
    expect(key(epochOrder(plan, 8, 3))).not.toBe(key(epochOrder(plan, 7, 3)));
    expect(key([...epochOrder(plan, 7, 3)].sort((x, y) => key([x]).localeCompare(key([y]))))).toBe(
      key([...plan.anchors].sort((x, y) => key([x]).localeCompare(key([y])))),
    );
    // Listing order of the store does not matter.
    expect(key(epochOrder(planAnchors([...series].reverse(), [2]), 7, 3))).toBe(key(epochOrder(plan, 7, 3)));
  });

  it('rejects bad t and counts steps with a partial last batch', () => {
    expect(() => planAnchors(series, [0])).toThrow(/positive integer/);
    expect(() => planAnchors(series, [])).toThrow(/at least one/);
    expect(() => planAnchors(series, [2, 2])).toThrow(/repeat/);
    expect(stepsPerEpoch(17, 16)).toBe(2);
    expect(stepsPerEpoch(16, 16)).toBe(1);
  });
});
