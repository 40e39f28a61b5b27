import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanPaths } from '../src/engine/node/import/scan-paths.ts';
import { importScanned } from '../src/engine/node/import/import-series.ts';
import { Workspace } from '../src/engine/node/workspace/workspace.ts';

/** pydicom's dicomdirtests: real CT, MR and CR studies (16 × 16), scouts, localizers, DICOMDIR variants. */
const folder = join(import.meta.dirname, 'fixtures/real/dicomdir');
const expected = JSON.parse(readFileSync(join(folder, 'expected.json'), 'utf8')) as Record<
  string,
  { series: string; modality: string; mean: number; min: number; max: number }
>;

function allFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map((name) => join(dir, String(name)))
    .filter((path) => statSync(path).isFile());
}

describe('a real DICOM file-set', () => {
  it('accounts for every file: in a series or skipped with a reason', () => {
    const { result } = scanPaths([folder]);
    const inSeries = result.series.flatMap((s) => s.files);
    const skipped = result.skipped.map((s) => s.path);
    expect(new Set([...inSeries, ...skipped])).toEqual(new Set(allFiles(folder)));
    expect(result.series.reduce((n, s) => n + s.slices, 0)).toBe(Object.keys(expected).length);
    expect(new Set(result.series.map((s) => s.id.replace(/-part\d+$/, '')))).toEqual(new Set(Object.values(expected).map((e) => e.series)));
    for (const skip of result.skipped) expect(skip.reason.length).toBeGreaterThan(10);
  });

  it('finds the same series through its DICOMDIR as by walking the folder', () => {
    const walked = scanPaths([folder])
      .result.series.map((s) => [s.id, s.files])
      .sort();
    const indexed = scanPaths([join(folder, 'DICOMDIR')])
      .result.series.map((s) => [s.id, s.files])
      .sort();
    expect(indexed).toEqual(walked);
  });

  it('imports every image with the values pydicom reads', async () => {
    const workspace = Workspace.open(join(mkdtempSync(join(tmpdir(), 'ssmtl-real-')), 'ws'), { create: true });
    const result = await importScanned(workspace, scanPaths([folder]));
    expect(result.imported.reduce((n, s) => n + s.slices, 0)).toBe(Object.keys(expected).length);
    const rows = workspace.db.prepare('SELECT source_file, mean, min, max FROM slices').all() as {
      source_file: string;
      mean: number;
      min: number;
      max: number;
    }[];
    expect(rows).toHaveLength(Object.keys(expected).length);
    for (const row of rows) {
      const truth = expected[relative(folder, row.source_file)];
      expect(row.mean, row.source_file).toBeCloseTo(truth.mean, 4);
      expect([row.min, row.max], row.source_file).toEqual([truth.min, truth.max]);
    }
    workspace.close();
  });
});
