import { describe, expect, it } from 'vitest';
import { itkSnapLabelTable, labelTablePath } from './label-table.ts';

describe("ITK-SNAP's label description table", () => {
  it('lists the clear label, then each label with its value, colour and name', () => {
    const lines = itkSnapLabelTable([
      { value: 500, name: 'LV', color: '#ff0000' },
      { value: 7, name: 'Say "hi"', color: '#0a0b0c' },
    ])
      .split('\n')
      .filter((line) => line && !line.startsWith('#'));
    expect(lines.map((line) => line.trim().split(/\s+/).slice(0, 7).map(Number))).toEqual([
      [0, 0, 0, 0, 0, 0, 0],
      [500, 255, 0, 0, 1, 1, 1],
      [7, 10, 11, 12, 1, 1, 1],
    ]);
    expect(lines.map((line) => /"(.*)"$/.exec(line)?.[1])).toEqual(['Clear Label', 'LV', "Say 'hi'"]);
  });

  it('sits beside the volume', () => {
    expect(labelTablePath('/x/a.nii.gz')).toBe('/x/a.labels.txt');
    expect(labelTablePath('/x/b.NII')).toBe('/x/b.labels.txt');
  });
});
