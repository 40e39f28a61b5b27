import { describe, expect, it } from 'vitest';
import { Random } from '../random.ts';
import { mostUncertain, selectSlices } from './slice-selection.ts';

describe('slice selection for the experiment', () => {
  const labelled = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19];

  it('random: seeded, distinct, sorted, among the labelled slices', () => {
    const a = selectSlices(labelled, 4, 'random', new Random(1));
    expect(a).toEqual(selectSlices(labelled, 4, 'random', new Random(1)));
    expect(a).not.toEqual(selectSlices(labelled, 4, 'random', new Random(2)));
    expect(new Set(a).size).toBe(4);
    expect([...a].sort((x, y) => x - y)).toEqual(a);
    for (const k of a) expect(labelled).toContain(k);
  });

  it('even: spread through the labelled range; all of them when asked for more', () => {
    expect(selectSlices(labelled, 5, 'even', new Random(0))).toEqual([11, 13, 15, 17, 19]);
    expect(selectSlices(labelled, 20, 'even', new Random(0))).toEqual(labelled);
  });

  it('uncertainty: the most uncertain candidates', () => {
    const u = new Map([
      [1, 0.5],
      [2, 0.9],
      [3, 0.1],
      [4, 0.9],
    ]);
    expect(mostUncertain([1, 2, 3, 4], u, 2)).toEqual([2, 4]);
  });
});
