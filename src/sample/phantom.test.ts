import { describe, expect, it } from 'vitest';
import { SAMPLE_LABELS, generateSubject, type SubjectVolume } from './phantom.ts';
import { createRandom, hashSeed } from './random.ts';

const ALL_LABELS = Object.values(SAMPLE_LABELS);
const cache = new Map<string, SubjectVolume>();
function subject(subjectIndex: number, seed = 0, size = 64, slices = 48): SubjectVolume {
  const key = `${seed}/${subjectIndex}/${size}/${slices}`;
  if (!cache.has(key)) cache.set(key, generateSubject({ seed, size, slices, subject: subjectIndex }));
  return cache.get(key)!;
}

interface LabelStats {
  voxels: number;
  /** mm, LPS */
  centroid: [number, number, number];
  slicesWith: number[];
}

function labelStats(volume: SubjectVolume, label: number): LabelStats {
  const { rows, cols, slices, spacing, origin } = volume;
  let voxels = 0;
  const sum = [0, 0, 0];
  const slicesWith: number[] = [];
  for (let k = 0; k < slices; k++) {
    let inSlice = 0;
    for (let j = 0; j < rows; j++) {
      for (let i = 0; i < cols; i++) {
        if (volume.labels[(k * rows + j) * cols + i] !== label) continue;
        inSlice++;
        sum[0] += i;
        sum[1] += j;
        sum[2] += k;
      }
    }
    if (inSlice > 0) slicesWith.push(k);
    voxels += inSlice;
  }
  const centroid = sum.map((s, axis) => origin[axis] + (s / Math.max(1, voxels)) * spacing[axis]) as [number, number, number];
  return { voxels, centroid, slicesWith };
}

function meanAndSd(values: number[]): { mean: number; sd: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return { mean, sd: Math.sqrt(variance) };
}

describe('random', () => {
  it('repeats a stream for the same seed and separates different seeds', () => {
    const a = createRandom(1, 'x');
    const b = createRandom(1, 'x');
    const c = createRandom(2, 'x');
    const drawA = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(drawA);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(drawA);
    expect(hashSeed(0, 1)).not.toBe(hashSeed(1, 0));
  });

  it('draws uniform and Gaussian values with the right moments', () => {
    const random = createRandom('moments');
    const uniform = Array.from({ length: 20000 }, () => random.next());
    expect(Math.min(...uniform)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...uniform)).toBeLessThan(1);
    expect(meanAndSd(uniform).mean).toBeCloseTo(0.5, 1);
    const normal = meanAndSd(Array.from({ length: 20000 }, () => random.normal(3, 2)));
    expect(normal.mean).toBeCloseTo(3, 1);
    expect(normal.sd).toBeGreaterThan(1.9);
    expect(normal.sd).toBeLessThan(2.1);
    const ints = new Set(Array.from({ length: 1000 }, () => random.int(2, 4)));
    expect([...ints].sort()).toEqual([2, 3, 4]);
  });
});

describe('generateSubject', () => {
  it('is deterministic per seed and subject', () => {
    const a = generateSubject({ seed: 7, size: 48, slices: 24, subject: 1 });
    const b = generateSubject({ seed: 7, size: 48, slices: 24, subject: 1 });
    const c = generateSubject({ seed: 8, size: 48, slices: 24, subject: 1 });
    expect(Buffer.from(a.hu.buffer).equals(Buffer.from(b.hu.buffer))).toBe(true);
    expect(Buffer.from(a.labels.buffer).equals(Buffer.from(b.labels.buffer))).toBe(true);
    expect(a.spacing).toEqual(b.spacing);
    expect(a.origin).toEqual(b.origin);
    expect(Buffer.from(a.hu.buffer).equals(Buffer.from(c.hu.buffer))).toBe(false);
  });

  it('lays the volume out slice-major with the requested grid', () => {
    const volume = subject(0);
    expect(volume.rows).toBe(64);
    expect(volume.cols).toBe(64);
    expect(volume.slices).toBe(48);
    expect(volume.hu).toBeInstanceOf(Int16Array);
    expect(volume.labels).toBeInstanceOf(Uint16Array);
    expect(volume.hu.length).toBe(64 * 64 * 48);
    expect(volume.labels.length).toBe(volume.hu.length);
    const [dx, dy, dz] = volume.spacing;
    expect(dx).toBe(dy);
    // A thorax field of view and a heart-to-arch coverage.
    expect(dx * 64).toBeGreaterThan(280);
    expect(dx * 64).toBeLessThan(460);
    expect(dz * 47).toBeGreaterThan(120);
    expect(dz * 47).toBeLessThan(240);
  });

  it('holds every MM-WHS label in every subject, each appearing and disappearing along z', () => {
    for (let s = 0; s < 4; s++) {
      const volume = subject(s);
      const values = new Set(volume.labels);
      expect([...values].sort((a, b) => a - b)).toEqual([0, ...ALL_LABELS].sort((a, b) => a - b));
      const stats = Object.fromEntries(ALL_LABELS.map((label) => [label, labelStats(volume, label)]));
      for (const label of ALL_LABELS) {
        const { slicesWith, voxels } = stats[label];
        expect(voxels, `label ${label} of subject ${s}`).toBeGreaterThan(50);
        // One run of slices: a structure does not vanish and come back.
        expect(slicesWith[slicesWith.length - 1] - slicesWith[0] + 1, `label ${label} of subject ${s}`).toBe(slicesWith.length);
        // Absent from the lowest slices (liver dome below the heart).
        expect(slicesWith[0], `label ${label} of subject ${s}`).toBeGreaterThan(0);
        // Spans several slices, so that j ± 5 sees it change rather than jump.
        expect(slicesWith.length, `label ${label} of subject ${s}`).toBeGreaterThanOrEqual(8);
      }
      // The chambers and the myocardium end below the top slice; the vessels run on up.
      for (const label of [SAMPLE_LABELS.LV, SAMPLE_LABELS.RV, SAMPLE_LABELS.LA, SAMPLE_LABELS.RA, SAMPLE_LABELS.MYO]) {
        expect(stats[label].slicesWith.at(-1)).toBeLessThan(volume.slices - 5);
      }
      const z = (label: number): number => stats[label].centroid[2];
      // Ventricles below atria, great vessels above the ventricles, aorta highest.
      expect(z(SAMPLE_LABELS.LV)).toBeLessThan(z(SAMPLE_LABELS.LA));
      expect(z(SAMPLE_LABELS.RV)).toBeLessThan(z(SAMPLE_LABELS.RA));
      expect(z(SAMPLE_LABELS.PA)).toBeGreaterThan(z(SAMPLE_LABELS.LV));
      expect(z(SAMPLE_LABELS.AO)).toBeGreaterThan(z(SAMPLE_LABELS.RV));
      // LPS: the left heart lies to the patient's left (+x) of the right heart, LA behind (+y) the RV.
      expect(stats[SAMPLE_LABELS.LV].centroid[0]).toBeGreaterThan(stats[SAMPLE_LABELS.RA].centroid[0]);
      expect(stats[SAMPLE_LABELS.LA].centroid[1]).toBeGreaterThan(stats[SAMPLE_LABELS.RV].centroid[1]);
    }
  });

  it('differs between subjects in position, size and shape', () => {
    const volumes = [0, 1, 2, 3].map((s) => subject(s));
    for (const label of ALL_LABELS) {
      const stats = volumes.map((volume) => labelStats(volume, label));
      const mm3 = stats.map((s, i) => s.voxels * volumes[i].spacing.reduce((a, b) => a * b, 1));
      for (let a = 0; a < stats.length; a++) {
        for (let b = a + 1; b < stats.length; b++) {
          const relativeDifference = Math.abs(mm3[a] - mm3[b]) / Math.max(mm3[a], mm3[b]);
          const shift = Math.hypot(...stats[a].centroid.map((c, axis) => c - stats[b].centroid[axis]));
          // Either the size or the place changes noticeably for every pair.
          expect(relativeDifference > 0.05 || shift > 3, `label ${label}, subjects ${a} and ${b}`).toBe(true);
        }
      }
    }
    const noise = volumes.map((v) => v.noiseHu);
    expect(new Set(noise.map((n) => n.toFixed(3))).size).toBe(4);
  });

  it('has CT-like densities: air, lung, fat, blood pool, myocardium, bone', () => {
    for (let s = 0; s < 2; s++) {
      // 3 mm pixels: at 6 mm the thin cortex would blur into its neighbours.
      const volume = subject(s, 0, 128, 24);
      const { hu, labels, rows, cols, slices } = volume;
      const byLabel = (label: number): number[] => {
        const values: number[] = [];
        for (let p = 0; p < hu.length; p++) if (labels[p] === label) values.push(hu[p]);
        return values;
      };
      // Blood pool (CTA) and myocardium; the means include partial volume at the edges.
      const lv = meanAndSd(byLabel(SAMPLE_LABELS.LV));
      expect(lv.mean).toBeGreaterThan(200);
      expect(lv.mean).toBeLessThan(450);
      const myocardium = meanAndSd(byLabel(SAMPLE_LABELS.MYO));
      expect(myocardium.mean).toBeGreaterThan(60);
      expect(myocardium.mean).toBeLessThan(lv.mean - 80);
      const aorta = meanAndSd(byLabel(SAMPLE_LABELS.AO));
      expect(aorta.mean).toBeGreaterThan(180);

      // Deep inside the LV the blood pool is flat, so its spread is the noise alone.
      const deep: number[] = [];
      const lvAt = (k: number, j: number, i: number): boolean => labels[(k * rows + j) * cols + i] === SAMPLE_LABELS.LV;
      for (let k = 0; k < slices; k++) {
        for (let j = 3; j < rows - 3; j++) {
          for (let i = 3; i < cols - 3; i++) {
            let inside = true;
            for (let dj = -3; dj <= 3 && inside; dj++) for (let di = -3; di <= 3 && inside; di++) inside = lvAt(k, j + dj, i + di);
            if (inside) deep.push(hu[(k * rows + j) * cols + i]);
          }
        }
      }
      expect(deep.length).toBeGreaterThan(100);
      const pool = meanAndSd(deep);
      expect(pool.sd).toBeGreaterThan(volume.noiseHu * 0.8);
      expect(pool.sd).toBeLessThan(volume.noiseHu * 1.2);
      expect(volume.noiseHu).toBeGreaterThanOrEqual(10);
      expect(volume.noiseHu).toBeLessThanOrEqual(20);

      // Air in the corners of every slice, with noise of 10 to 20 HU (some of it clamped at -1024).
      const corner: number[] = [];
      for (let k = 0; k < slices; k++) for (let j = 0; j < 6; j++) for (let i = 0; i < 6; i++) corner.push(hu[(k * rows + j) * cols + i]);
      const air = meanAndSd(corner);
      expect(air.mean).toBeGreaterThan(-1015);
      expect(air.mean).toBeLessThan(-985);
      expect(air.sd).toBeGreaterThan(4);
      expect(air.sd).toBeLessThan(25);
      expect(Math.min(...corner)).toBeGreaterThanOrEqual(-1024);

      const count = (low: number, high: number): number => {
        let n = 0;
        for (let p = 0; p < hu.length; p++) if (hu[p] >= low && hu[p] < high) n++;
        return n / hu.length;
      };
      expect(count(-950, -700), 'lung').toBeGreaterThan(0.08);
      expect(count(-150, -50), 'fat').toBeGreaterThan(0.03);
      expect(count(20, 80), 'muscle and liver').toBeGreaterThan(0.03);
      expect(count(300, 1200), 'bone').toBeGreaterThan(0.002);
      const highest = hu.reduce((a, b) => Math.max(a, b), -Infinity);
      expect(highest, 'cortical bone').toBeGreaterThan(600);
      expect(highest).toBeLessThanOrEqual(3071);
    }
  });

  it('changes smoothly from slice to slice, more over five slices than over one', () => {
    const volume = subject(2, 0, 64, 64);
    const { hu, rows, cols, slices } = volume;
    const plane = rows * cols;
    const difference = (k: number, t: number): number => {
      let sum = 0;
      for (let p = 0; p < plane; p++) sum += Math.abs(hu[k * plane + p] - hu[(k + t) * plane + p]);
      return sum / plane;
    };
    let one = 0;
    let five = 0;
    for (let k = 5; k < slices - 10; k += 4) {
      one += difference(k, 1);
      five += difference(k, 5);
    }
    expect(five).toBeGreaterThan(one * 1.5);
  });

  it('makes a 128 × 128 × 64 subject in well under a second', () => {
    const started = performance.now();
    generateSubject({ seed: 3, size: 128, slices: 64, subject: 0 });
    // Generous for a loaded CI machine; about 0.2 s on a quiet one.
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('refuses grids it cannot draw', () => {
    expect(() => generateSubject({ seed: 0, size: 4, slices: 20, subject: 0 })).toThrow(/size/);
    expect(() => generateSubject({ seed: 0, size: 64, slices: 1.5, subject: 0 })).toThrow(/slices/);
  });
});
