import { describe, expect, it } from 'vitest';
import {
  NO_MAPPING,
  parseIntensitySpec,
  recordedIntensity,
  resolveIntensity,
  sameIntensity,
  windowPreset,
  type IntensityMapping,
} from '../../shared/intensity-mapping.ts';
import { clipToRange, percentileRange, rangeSampleSlices } from './intensity-mapping.ts';
import { instanceNormalize, preprocessSlice, seriesIntensityRange } from './preprocess.ts';

/**
 * A 64×64 CT slice as a scanner writes it: outside the reconstruction circle the padding
 * value (−3024 HU), inside air (−1000), a body of fat (−100) holding two soft tissues 20 HU
 * apart (muscle 40, liver 60) — the contrast a segmentation has to see.
 */
function ctSlice(): { values: Float32Array; muscle: number[]; liver: number[] } {
  const n = 64;
  const values = new Float32Array(n * n);
  const muscle: number[] = [];
  const liver: number[] = [];
  for (let y = 0; y < n; y++)
    for (let x = 0; x < n; x++) {
      const p = y * n + x;
      const r = Math.hypot(x - 31.5, y - 31.5);
      if (r > 31) values[p] = -3024;
      else if (r > 24) values[p] = -1000;
      else if (r > 18) values[p] = -100;
      else if (x < 32) {
        values[p] = 40;
        muscle.push(p);
      } else {
        values[p] = 60;
        liver.push(p);
      }
    }
  return { values, muscle, liver };
}

const meanAt = (v: Float32Array, at: number[]) => at.reduce((s, p) => s + v[p], 0) / at.length;

describe('intensity mapping before instance normalization (paper Sec. 4.1)', () => {
  it('keeps CT soft-tissue contrast that padding and air squeeze away in a plain z-score', () => {
    const { values, muscle, liver } = ctSlice();
    const plain = preprocessSlice(values, 64, 64, 64, null);
    const range = seriesIntensityRange(windowPreset('soft-tissue'), { slices: 1, rows: 64, cols: 64 }, 64, () => values);
    expect(range).toEqual({ low: -160, high: 240 });
    const windowed = preprocessSlice(values, 64, 64, 64, range);
    const plainContrast = meanAt(plain, liver) - meanAt(plain, muscle);
    const windowedContrast = meanAt(windowed, liver) - meanAt(windowed, muscle);
    // In units of the slice's standard deviation: padding at −3024 makes 20 HU almost nothing…
    expect(plainContrast).toBeLessThan(0.02);
    // …the soft-tissue window gives it a sizeable share of the grey scale.
    expect(windowedContrast).toBeGreaterThan(0.15);
    expect(windowedContrast / plainContrast).toBeGreaterThan(10);
    // Padding and air become one floor value: the network no longer sees the scanner's fill value.
    expect(windowed[0]).toBeCloseTo(windowed[64 * 32 + 4], 6);
  });

  it('clips an MR volume to its own 0.5th–99.5th percentiles: a few bright outliers no longer set the scale', () => {
    // 4 slices of 32×32: tissue at 100 and 140, plus 0.2 % of pixels at 30 000 (a flow artefact, a marker).
    const slices = Array.from({ length: 4 }, (_, k) =>
      Float32Array.from({ length: 1024 }, (_, p) => ((p * 7 + k) % 500 === 0 ? 30000 : p % 2 ? 100 : 140)),
    );
    const mapping = parseIntensitySpec('percentile') as IntensityMapping;
    const range = seriesIntensityRange(mapping, { slices: 4, rows: 32, cols: 32 }, 32, (k) => slices[k]);
    expect(range).toEqual({ low: 100, high: 140 });
    const mapped = preprocessSlice(slices[0], 32, 32, 32, range);
    const plain = preprocessSlice(slices[0], 32, 32, 32, null);
    // tissue contrast in standard deviations: about 2 after the clip (two equal halves), a sliver without it
    expect(Math.abs(mapped[1] - mapped[2])).toBeGreaterThan(1.9);
    expect(Math.abs(plain[1] - plain[2])).toBeLessThan(0.1);
  });

  it('measures percentiles exactly and reads a bounded, evenly spread sample of slices', () => {
    expect(
      percentileRange(
        Float32Array.from({ length: 1001 }, (_, i) => i),
        0.5,
        99.5,
      ),
    ).toEqual({ low: 5, high: 995 });
    expect(percentileRange(new Float32Array(10).fill(7), 1, 99)).toEqual({ low: 7, high: 8 });
    // slices taken as they are: the same sample as their concatenation
    const whole = Float32Array.from({ length: 5000 }, (_, i) => (i * 7919) % 1013);
    const slices = [whole.subarray(0, 1234), whole.subarray(1234, 1240), whole.subarray(1240)];
    expect(percentileRange(slices, 2, 97, 700)).toEqual(percentileRange(whole, 2, 97, 700));
    expect(rangeSampleSlices(5)).toEqual([0, 1, 2, 3, 4]);
    const many = rangeSampleSlices(300);
    expect(many).toHaveLength(32);
    expect(many[0]).toBe(0);
    expect(many.at(-1)).toBe(299);
    expect(Array.from(clipToRange(Float32Array.from([-5, 0, 5, NaN]), { low: -1, high: 1 }))).toEqual([-1, 0, 1, NaN]);
    expect(Array.from(clipToRange(Float32Array.from([-5, 5]), null))).toEqual([-5, 5]);
    // no mapping: the stored values, normalized as before
    const v = Float32Array.from({ length: 16 }, (_, i) => i * 100 - 3000);
    expect(Array.from(preprocessSlice(v, 4, 4, 4, null))).toEqual(Array.from(instanceNormalize(v.slice())));
  });

  it('chooses a CT window for CT, percentiles for MR or a mix, and reads back what a model recorded', () => {
    expect(resolveIntensity('auto', ['CT', 'CT'])).toEqual({ kind: 'window', level: 40, width: 400, preset: 'soft-tissue' });
    expect(resolveIntensity('auto', ['MR'])).toEqual({ kind: 'percentile', low: 0.5, high: 99.5 });
    expect(resolveIntensity('auto', ['CT', 'MR'])).toEqual({ kind: 'percentile', low: 0.5, high: 99.5 });
    expect(resolveIntensity(NO_MAPPING, ['CT'])).toEqual(NO_MAPPING);
    expect(recordedIntensity(undefined)).toEqual(NO_MAPPING);
    expect(recordedIntensity({ kind: 'window', level: 40, width: 400 })).toEqual({ kind: 'window', level: 40, width: 400 });
    expect(() => recordedIntensity({ kind: 'window', level: 40, width: -1 })).toThrow(/unknown intensity mapping/);
    expect(sameIntensity(parseIntensitySpec('window:40,400') as never, windowPreset('soft-tissue'))).toBe(true);
  });

  it('parses the flags and config values, naming what is allowed when wrong', () => {
    expect(parseIntensitySpec('auto')).toBe('auto');
    expect(parseIntensitySpec('none')).toEqual(NO_MAPPING);
    expect(parseIntensitySpec('abdomen')).toEqual({ kind: 'window', level: 50, width: 400, preset: 'abdomen' });
    expect(parseIntensitySpec('window:angio')).toEqual({ kind: 'window', level: 300, width: 600, preset: 'angio' });
    expect(parseIntensitySpec('window:-600,1500')).toEqual({ kind: 'window', level: -600, width: 1500 });
    expect(parseIntensitySpec('percentile:1,99')).toEqual({ kind: 'percentile', low: 1, high: 99 });
    expect(() => parseIntensitySpec('window:40,')).toThrow(/LEVEL,WIDTH/);
    expect(() => parseIntensitySpec('window:40,0')).toThrow(/WIDTH > 0/);
    expect(() => parseIntensitySpec('percentile:99,1')).toThrow(/LOW < HIGH/);
    expect(() => parseIntensitySpec('gamma')).toThrow(/auto, none, percentile.*soft-tissue/);
  });
});
