import { describe, expect, it } from 'vitest';
import { anatomicalPlane, autoWindow, orientationLetters, orientationMarkers } from './orientation.ts';

describe('orientation letters', () => {
  it('name the patient directions of DICOM LPS', () => {
    expect(orientationLetters([1, 0, 0])).toBe('L');
    expect(orientationLetters([-1, 0, 0])).toBe('R');
    expect(orientationLetters([0, 1, 0])).toBe('P');
    expect(orientationLetters([0, -1, 0])).toBe('A');
    expect(orientationLetters([0, 0, 1])).toBe('S');
    expect(orientationLetters([0, 0, -1])).toBe('I');
  });

  it('give an oblique direction two letters, the main one first', () => {
    expect(orientationLetters([0.8, -0.6, 0])).toBe('LA');
    expect(orientationLetters([0.1, 0, -0.99])).toBe('I');
  });

  it('mark an axial slice as radiologists read it: R on the left, A at the top', () => {
    // Rows run to the patient's left, columns to the back (the usual axial CT).
    expect(orientationMarkers([1, 0, 0], [0, 1, 0])).toEqual({ left: 'R', right: 'L', top: 'A', bottom: 'P' });
  });

  it('mark a sagittal and a coronal slice', () => {
    expect(orientationMarkers([0, 1, 0], [0, 0, -1])).toEqual({ left: 'A', right: 'P', top: 'S', bottom: 'I' });
    expect(orientationMarkers([1, 0, 0], [0, 0, -1])).toEqual({ left: 'R', right: 'L', top: 'S', bottom: 'I' });
  });
});

describe('anatomicalPlane', () => {
  it('names the plane a series was acquired in from its slice normal', () => {
    expect(anatomicalPlane([0, 0, 1])).toBe('axial');
    expect(anatomicalPlane([0, -0.98, 0.2])).toBe('coronal');
    expect(anatomicalPlane([1, 0, 0])).toBe('sagittal');
  });
});

describe('autoWindow', () => {
  it('spans the 1st to 99th percentile, so a few bright pixels do not darken an MR slice', () => {
    const values = new Float32Array(10_000);
    for (let i = 0; i < values.length; i++) values[i] = i % 1000;
    values[0] = 1e6;
    const { lower, upper } = autoWindow(values);
    expect(lower).toBeGreaterThanOrEqual(0);
    expect(upper).toBeLessThan(5000);
    expect(upper - lower).toBeGreaterThan(0);
  });

  it('gives a window around a flat slice', () => {
    expect(autoWindow(new Float32Array(16).fill(7))).toEqual({ lower: 6, upper: 8 });
  });
});
