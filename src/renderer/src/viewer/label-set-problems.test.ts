import { describe, expect, it } from 'vitest';
import { MMWHS_LABELS } from '../../../shared/labels.ts';
import { labelSetProblems } from './label-set-problems.ts';

describe('labelSetProblems', () => {
  it('finds nothing wrong with the MM-WHS preset or an empty set', () => {
    expect(labelSetProblems(MMWHS_LABELS)).toEqual([]);
    expect(labelSetProblems([])).toEqual([]);
  });

  it('names a missing name, a value out of range, and values or names used twice', () => {
    expect(
      labelSetProblems([
        { value: 1, name: 'Tumour', color: '#ff0000' },
        { value: 1, name: ' ', color: '#00ff00' },
        { value: 70000, name: 'tumour', color: '#0000ff' },
      ]),
    ).toEqual([
      'Label 2 needs a name.',
      'tumour: the value is a whole number from 1 to 65535.',
      'Value 1 is used by 2 labels.',
      'The name "tumour" is used by 2 labels.',
    ]);
  });
});
