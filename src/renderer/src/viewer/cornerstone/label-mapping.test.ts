import { describe, expect, it } from 'vitest';
import { connectedRegion, LabelMapping } from './label-mapping.ts';

const labels = [
  { value: 500, name: 'LV', color: '#ff0000' },
  { value: 205, name: 'Myocardium', color: '#00ffff' },
];

describe('LabelMapping', () => {
  it('maps label values to segment indices in palette order and back', () => {
    const mapping = new LabelMapping(labels);
    const segments = new Uint8Array(4);
    mapping.writeSegments(Uint16Array.from([0, 500, 205, 999]), segments);
    expect([...segments]).toEqual([0, 1, 2, 0]);
    expect([...mapping.toValues(segments)]).toEqual([0, 500, 205, 0]);
  });

  it('declares every label as a named segment', () => {
    expect(new LabelMapping(labels).segmentsConfig()).toEqual({ 1: { label: 'LV' }, 2: { label: 'Myocardium' } });
  });
});

describe('connectedRegion', () => {
  // 4 × 3:
  // 1 1 0 2
  // 0 1 0 2
  // 1 0 0 2
  const values = Uint16Array.from([1, 1, 0, 2, 0, 1, 0, 2, 1, 0, 0, 2]);

  it('takes the 4-connected pixels of the clicked value only', () => {
    expect(connectedRegion(values, 4, 3, 0).sort((a, b) => a - b)).toEqual([0, 1, 5]);
    expect(connectedRegion(values, 4, 3, 3).sort((a, b) => a - b)).toEqual([3, 7, 11]);
    expect(connectedRegion(values, 4, 3, 8)).toEqual([8]);
  });

  it('is empty on background and never wraps around a row', () => {
    expect(connectedRegion(values, 4, 3, 2)).toEqual([]);
    const wrap = Uint16Array.from([0, 0, 0, 3, 3, 0, 0, 0]);
    expect(connectedRegion(wrap, 4, 2, 3)).toEqual([3]);
  });
});
