import { copyFileSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { testUid, writeDicom, type TestImage } from '../../../../tests/helpers/write-dicom.ts';
import { Workspace } from '../workspace/workspace.ts';
import { importScanned } from './import-series.ts';
import { scanPaths } from './scan-paths.ts';
import { storeSeries, type SliceInput } from './store-series.ts';

let source: string;
let workspaceDir: string;
beforeEach(() => {
  const root = mkdtempSync(join(tmpdir(), 'ssmtl-import-'));
  source = join(root, 'scans');
  workspaceDir = join(root, 'ws');
  mkdirSync(source);
});

function writeSeries(count: number, image: Partial<TestImage> & { pixelsOf?: (k: number) => Int16Array | Uint16Array } = {}): string {
  const seriesUid = image.seriesUid ?? testUid();
  for (let k = 0; k < count; k++) {
    writeFileSync(
      join(source, `s${k}.dcm`),
      writeDicom({
        seriesUid,
        position: [0, 0, 2 * k],
        instanceNumber: count - k,
        rows: 4,
        cols: 4,
        ...image,
        pixels: image.pixelsOf?.(k) ?? image.pixels,
      }),
    );
  }
  return seriesUid;
}

async function importAll() {
  const workspace = Workspace.open(workspaceDir, { create: true });
  try {
    return { result: await importScanned(workspace, scanPaths([source])), workspace };
  } finally {
    workspace.close();
  }
}

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String).sort();
}

describe('import', () => {
  it('stores modality values (signed storage, slope and intercept) and their per-slice stats', async () => {
    const id = writeSeries(3, {
      rescaleSlope: 2,
      rescaleIntercept: -1024,
      pixelsOf: (k) => Int16Array.from({ length: 16 }, (_, i) => i - 8 + 100 * k),
    });
    const { result } = await importAll();
    expect(result.imported).toEqual([{ id, slices: 3, rows: 4, cols: 4 }]);

    const workspace = Workspace.open(workspaceDir, { create: false });
    const record = workspace.requireSeries(id);
    expect(record.dtype).toBe('int16');
    expect(workspace.sliceStats(record.key)).toEqual(
      [0, 1, 2].map((k) => ({ index: k, position: 2 * k, mean: -1 + 200 * k - 1024, min: -16 + 200 * k - 1024, max: 14 + 200 * k - 1024 })),
    );
    expect(Array.from(workspace.readSlice(id, 2).subarray(0, 3))).toEqual([-16 + 200 - 1024 + 200 * 1, -14 + 400 - 1024, -12 + 400 - 1024]);
    workspace.close();
  });

  it('is idempotent: importing the same files again adds nothing', async () => {
    const id = writeSeries(4);
    await importAll();
    const before = files(workspaceDir).filter((f) => f.startsWith('series'));
    const { result } = await importAll();
    expect(result.imported).toEqual([{ id, slices: 4, rows: 4, cols: 4 }]);
    expect(files(workspaceDir).filter((f) => f.startsWith('series'))).toEqual(before);
    const workspace = Workspace.open(workspaceDir, { create: false });
    expect(workspace.listSeries()).toHaveLength(1);
    expect(workspace.db.prepare('SELECT COUNT(*) AS n FROM slices').get()).toEqual({ n: 4 });
    workspace.close();
  });

  it('replaces a series whose files changed, and removes the old pixels', async () => {
    const id = writeSeries(3);
    await importAll();
    writeFileSync(join(source, 'extra.dcm'), writeDicom({ seriesUid: id, position: [0, 0, 6], rows: 4, cols: 4 }));
    const { result } = await importAll();
    expect(result.imported).toEqual([{ id, slices: 4, rows: 4, cols: 4 }]);
    const pixelFiles = files(workspaceDir).filter((f) => f.includes('pixels-'));
    expect(pixelFiles).toHaveLength(1);
  });

  it('keeps non-integer rescales exactly, in float32', async () => {
    const id = writeSeries(2, { rescaleSlope: 0.25, rescaleIntercept: 0.5, pixels: Int16Array.from({ length: 16 }, (_, i) => i - 20) });
    await importAll();
    const workspace = Workspace.open(workspaceDir, { create: false });
    expect(workspace.requireSeries(id).dtype).toBe('float32');
    const stats = workspace.sliceStats(workspace.requireSeries(id).key)[0];
    expect(stats.min).toBeCloseTo(-20 * 0.25 + 0.5, 6);
    workspace.close();
  });

  it('widens to float32 when values leave the range the header suggested', async () => {
    const id = writeSeries(2, {
      signed: false,
      rescaleIntercept: -1024,
      pixelsOf: (k) => Uint16Array.from({ length: 16 }, (_, i) => 60000 + i + k),
    });
    await importAll();
    const workspace = Workspace.open(workspaceDir, { create: false });
    const record = workspace.requireSeries(id);
    expect(record.dtype).toBe('float32');
    expect(workspace.readSlice(id, 1)[15]).toBe(60000 + 15 + 1 - 1024);
    expect(workspace.readSlice(id, 0)[0]).toBe(60000 - 1024);
    workspace.close();
  });

  it('leaves out a slice whose file broke after the scan, and reports it', async () => {
    writeSeries(3);
    const scan = scanPaths([source]);
    truncateSync(join(source, 's1.dcm'), 400);
    const workspace = Workspace.open(workspaceDir, { create: true });
    const result = await importScanned(workspace, scan);
    expect(result.imported[0].slices).toBe(2);
    expect(result.skipped).toEqual([{ path: join(source, 's1.dcm'), reason: expect.stringMatching(/pixel data cannot be decoded/) }]);
    workspace.close();
  });

  it('imports a real NIfTI volume with the values NiBabel reads', async () => {
    const fixtures = join(import.meta.dirname, '../../../../tests/fixtures/real/nifti');
    copyFileSync(join(fixtures, 'anatomical.nii'), join(source, 'anatomical.nii'));
    const expected = JSON.parse(readFileSync(join(fixtures, 'expected.json'), 'utf8'))['anatomical.nii'];
    const { result } = await importAll();
    expect(result.imported).toEqual([{ id: join(source, 'anatomical.nii'), slices: 25, rows: 41, cols: 33 }]);
    const workspace = Workspace.open(workspaceDir, { create: false });
    const record = workspace.requireSeries(join(source, 'anatomical.nii'));
    expect(record.geometry).toEqual({ kind: 'nifti', affine: expected.affine });
    workspace.sliceStats(record.key).forEach((stats, k) => {
      // the affine's slice axis is +2 mm in z from z = -16 mm
      expect(stats.position).toBeCloseTo(-16 + 2 * k, 6);
      expect(stats.mean).toBeCloseTo(expected.slices[k].mean, 3);
      expect(stats.max).toBe(expected.slices[k].max);
    });
    workspace.close();
  });
});

describe('a kill during import', () => {
  it('leaves the catalogue as it was, and the next import cleans up and completes', async () => {
    const workspace = Workspace.open(workspaceDir, { create: true });
    async function* dying(): AsyncGenerator<SliceInput> {
      yield { values: new Float32Array(16), position: 0, sourceFile: 'a', sourceFrame: 0 };
      throw new Error('killed');
    }
    const description = {
      id: 'x',
      format: 'dicom' as const,
      modality: 'CT',
      description: null,
      patientId: null,
      rows: 4,
      cols: 4,
      spacing: [1, 1, 1] as [number, number, number],
      geometry: { kind: 'nifti' as const, affine: [] },
      photometric: null,
      files: [],
      warnings: [],
      fingerprint: 'f'.repeat(64),
      dtypeHint: 'int16' as const,
    };
    await expect(storeSeries(workspace, description, dying())).rejects.toThrow('killed');
    expect(workspace.listSeries()).toEqual([]);
    expect(files(workspaceDir).filter((f) => f.includes('pixels-'))).toEqual([]);
    workspace.close();
  });
});

describe('Workspace.open', () => {
  it('refuses a non-empty folder that is not a workspace, and a missing one when not creating', () => {
    writeFileSync(join(source, 'mine.txt'), 'a user file');
    expect(() => Workspace.open(source, { create: true })).toThrow(/non-empty folder that is not a workspace/);
    expect(() => Workspace.open(workspaceDir, { create: false })).toThrow(/is not an SSMTL workspace/);
  });

  it('refuses a catalogue written by a newer version', () => {
    const workspace = Workspace.open(workspaceDir, { create: true });
    workspace.db.pragma('user_version = 999');
    workspace.close();
    expect(() => Workspace.open(workspaceDir, { create: false })).toThrow(/newer SSMTL Studio/);
  });
});
