import { describe, expect, it } from 'vitest';
import {
  drawPartner,
  epochOrder,
  headNames,
  partnerCandidates,
  planAnchors,
  planPairedAnchors,
  stepsPerEpoch,
  targetIndices,
} from './sampler.ts';

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

describe('slice distance in the scan, not in the list', () => {
  const even = (n: number, spacing = 2) => Array.from({ length: n }, (_, k) => 100 + spacing * k);
  const withPositions = (positions: number[]) => [{ id: 's', slices: positions.length, rows: 8, cols: 8, positions }];
  const indices = (plan: ReturnType<typeof planAnchors>) => plan.anchors.map((a) => a.index);

  it('on evenly spaced slices uses every anchor, as by index', () => {
    const plan = planAnchors(withPositions(even(20)), [2, 3]);
    expect(indices(plan)).toEqual(indices(planAnchors([{ id: 's', slices: 20, rows: 8, cols: 8 }], [2, 3])));
    expect(plan.skippedAnchors).toEqual([]);
    expect(plan.withoutPositions).toEqual([]);
  });

  it('leaves out the anchors whose targets span a gap (a missing slice), counted as gap and said where', () => {
    const positions = even(21).filter((_, k) => k !== 10); // slice at 120 mm is missing: 118 → 122
    const plan = planAnchors(withPositions(positions), [2]);
    // indices 9 (118 mm) and 10 (122 mm) are neighbours in the list: anchors 8…11 reach across.
    expect(indices(plan)).toEqual([2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 16, 17]);
    expect(plan.skippedAnchors).toEqual([
      {
        series: 's',
        spacing: 2,
        byReason: { gap: 4, duplicate: 0, uneven: 0 },
        where: [expect.stringMatching(/gap of 4\.00 mm between slices 9 and 10/)],
      },
    ]);
    for (const a of plan.anchors)
      for (const k of targetIndices(a, [2])) expect(Math.abs(Math.abs(positions[k] - positions[a.index]) - 4)).toBeLessThan(0.5);
  });

  it('leaves out the anchors whose targets span a near-duplicate slice, counted as duplicate', () => {
    const positions = [...even(10), 118.2, ...even(10).map((p) => p + 20)]; // a second slice 0.2 mm from slice 9
    const plan = planAnchors(withPositions(positions), [2]);
    expect(plan.skippedAnchors?.[0].byReason).toEqual({ gap: 0, duplicate: 4, uneven: 0 });
    expect(plan.skippedAnchors?.[0].where[0]).toMatch(/slices 9 and 10 only 0\.20 mm apart/);
    // 8 and 9 look forward across it, 10 (the extra slice) and 11 look back across it; 12 sees 118.2 mm where 118 should be.
    expect(indices(plan).filter((j) => j >= 7 && j <= 12)).toEqual([7, 12]);
  });

  it('leaves out anchors where spacing drifts beyond a quarter spacing over t, counted as uneven', () => {
    const positions = [...even(10), ...Array.from({ length: 10 }, (_, k) => 118 + 2.3 * (k + 1))];
    const plan = planAnchors(withPositions(positions), [3]);
    const skipped = plan.skippedAnchors?.[0];
    expect(skipped?.byReason.uneven).toBeGreaterThan(0);
    expect(skipped?.byReason.gap).toBe(0);
    const spacing = skipped?.spacing as number;
    expect(spacing).toBeCloseTo(2.3, 6); // the median step
    for (const a of plan.anchors)
      for (const k of targetIndices(a, [3]))
        expect(Math.abs(Math.abs(positions[k] - positions[a.index]) - 3 * spacing)).toBeLessThanOrEqual(0.25 * spacing + 1e-9);
  });

  it('a series whose every anchor is off is skipped with the reason; one without positions counts slices and is listed', () => {
    const broken = [0, 2, 4, 10, 12, 14, 20, 22];
    const plan = planAnchors(
      [
        { id: 'broken', slices: 8, rows: 8, cols: 8, positions: broken },
        { id: 'no-positions', slices: 8, rows: 8, cols: 8, positions: null },
      ],
      [3],
    );
    expect(plan.used).toEqual(['no-positions']);
    expect(plan.withoutPositions).toEqual(['no-positions']);
    expect(plan.skipped).toEqual([
      { series: 'broken', reason: expect.stringMatching(/no anchor has its targets t = 3 .*gap of 6\.00 mm/) },
    ]);
  });

  it('SSMTL+ draws a partner only among slices t+1 … 2t spacings away in the scan', () => {
    const positions = even(21).filter((_, k) => k !== 10);
    // anchor 7 (114 mm), t = 2: by index 3, 4, 10, 11 (106, 108, 122, 124 mm); 124 mm is 5 spacings away, more than 2t.
    expect(partnerCandidates(7, 2, 20)).toEqual([3, 4, 10, 11]);
    expect(partnerCandidates(7, 2, 20, positions)).toEqual([3, 4, 10]);
    expect(partnerCandidates(7, 2, 20, even(20))).toEqual([3, 4, 10, 11]);
    const plan = planPairedAnchors(withPositions(positions), [2]);
    for (const a of plan.anchors)
      for (let epoch = 0; epoch < 3; epoch++) {
        const k = drawPartner(a, 2, 20, 1, epoch, plan.positions?.s);
        const spacings = Math.abs(positions[k] - positions[a.index]) / 2;
        expect(spacings).toBeGreaterThanOrEqual(2.75);
        expect(spacings).toBeLessThanOrEqual(4.25);
      }
  });
});
