import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import dcmjs from 'dcmjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workspace } from '../src/engine/node/workspace/workspace.ts';
import { writeSample, type SampleSeries } from '../src/sample/write-sample.ts';

/**
 * Slice distance in the scan: real DICOM series of the built-in sample, one with a slice
 * removed (a gap) and one with an extra slice 0.3 mm from another (a near-duplicate the
 * import keeps), one with an exact duplicate (the import leaves it out), go through the
 * real scan and import (`ssmtl import`) and `ssmtl pretrain`: the anchors whose targets
 * would span the gap or the duplicate are left out, counted by reason, and reported in the
 * CLI's text and JSON and in the model's record.
 */
const bin = resolve('bin/ssmtl.mjs');
const env = { ...process.env, SSMTL_QUIET: '1' };
let root = '';
let workspace = '';
let series: SampleSeries[] = [];

interface DcmjsMessage {
  readFile(buffer: ArrayBuffer): { meta: Record<string, unknown>; dict: Record<string, unknown>; write(): ArrayBuffer };
}
interface DcmjsDictionary {
  naturalizeDataset(dataset: Record<string, unknown>): Record<string, unknown>;
  denaturalizeDataset(dataset: Record<string, unknown>): Record<string, unknown>;
}
const { DicomMessage, DicomMetaDictionary } = (
  dcmjs as unknown as { data: { DicomMessage: DcmjsMessage; DicomMetaDictionary: DcmjsDictionary } }
).data;

/** A copy of a slice file as another instance, `dz` mm further along the normal. */
function copySlice(from: string, to: string, sopInstanceUid: string, dz: number): void {
  const bytes = readFileSync(from);
  const file = DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const dataset = DicomMetaDictionary.naturalizeDataset(file.dict);
  const meta = DicomMetaDictionary.naturalizeDataset(file.meta);
  const position = (dataset.ImagePositionPatient as (string | number)[]).map(Number);
  dataset.ImagePositionPatient = [position[0], position[1], Number((position[2] + dz).toFixed(4))];
  dataset.SOPInstanceUID = sopInstanceUid;
  meta.MediaStorageSOPInstanceUID = sopInstanceUid;
  file.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  file.meta = DicomMetaDictionary.denaturalizeDataset(meta);
  writeFileSync(to, new Uint8Array(file.write()));
}

function ssmtl(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'ssmtl-spacing-'));
  series = writeSample({ outDir: join(root, 'sample'), subjects: 3, slices: 24, size: 32 }).series;
  const [gap, nearDuplicate, duplicate] = series;
  rmSync(gap.files[10]);
  copySlice(nearDuplicate.files[10], join(nearDuplicate.dicomDir, 'IM00011b.dcm'), `${nearDuplicate.seriesInstanceUid}.990`, 0.3);
  copySlice(duplicate.files[10], join(duplicate.dicomDir, 'IM00011b.dcm'), `${duplicate.seriesInstanceUid}.990`, 0);
  workspace = join(root, 'ws');
  const imported = ssmtl('import', join(root, 'sample'), '--workspace', workspace, '--json');
  expect(imported.code, imported.stderr).toBe(0);
}, 60_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('pre-training measures t in the scan (real DICOM through the real import)', () => {
  it('skips the anchors spanning a removed slice or a near-duplicate, by reason, in the CLI text, JSON and model record', () => {
    const [gap, nearDuplicate, duplicate] = series;
    const spacing = gap.spacing[2];
    const ws = Workspace.open(workspace, { create: false });
    try {
      expect(ws.requireSeries(gap.seriesInstanceUid).slices).toBe(23);
      expect(ws.requireSeries(nearDuplicate.seriesInstanceUid).slices).toBe(25);
      // The import itself leaves out a slice at the very same position, and says so.
      expect(ws.requireSeries(duplicate.seriesInstanceUid).slices).toBe(24);
      expect(ws.requireSeries(duplicate.seriesInstanceUid).warnings).toContain('1 slice(s) at duplicate positions were left out');
      expect(ws.slicePositions(gap.seriesInstanceUid)?.[10]).toBeCloseTo(
        (ws.slicePositions(gap.seriesInstanceUid)?.[9] ?? 0) + 2 * spacing,
        3,
      );
    } finally {
      ws.close();
    }

    const run = ssmtl(
      'pretrain',
      '--workspace',
      workspace,
      '--t',
      '2',
      '--epochs',
      '1',
      '--size',
      '32',
      '--width',
      '2',
      '--batch',
      '8',
      '--name',
      'spaced',
      '--json',
    );
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    // t = 2: the four anchors 8…11 reach across the gap between list neighbours 9 and 10;
    // across the extra slice (list index 10), anchors 8, 9, 10 and 11.
    const expected = [
      {
        series: gap.seriesInstanceUid,
        spacing: expect.closeTo(gap.spacing[2], 4),
        byReason: { gap: 4, duplicate: 0, uneven: 0 },
        where: [expect.stringMatching(new RegExp(`gap of ${(2 * spacing).toFixed(2)} mm between slices 9 and 10`))],
      },
      {
        series: nearDuplicate.seriesInstanceUid,
        spacing: expect.closeTo(nearDuplicate.spacing[2], 4),
        byReason: { gap: 0, duplicate: 4, uneven: 0 },
        where: [expect.stringMatching(/slices 10 and 11 only 0\.30 mm apart/)],
      },
    ].sort((a, b) => (a.series < b.series ? -1 : 1));
    expect(out.skippedAnchors).toEqual(expected);
    expect(run.stderr).toContain(
      `skipped 4 anchor(s) of series ${gap.seriesInstanceUid} whose targets are not t slice spacings away (gap 4)`,
    );
    expect(run.stderr).toContain(
      `skipped 4 anchor(s) of series ${nearDuplicate.seriesInstanceUid} whose targets are not t slice spacings away (duplicate 4)`,
    );
    const ws2 = Workspace.open(workspace, { create: false });
    try {
      const meta = ws2.getModel('spaced')?.meta as { anchors: number; skippedAnchors: unknown; withoutPositions: string[] };
      expect(meta.skippedAnchors).toEqual(expected);
      expect(meta.withoutPositions).toEqual([]);
      // (23 − 4) + (25 − 4) + (24 − 4) anchors by index, less the 8 left out.
      expect(meta.anchors).toBe(19 + 21 + 20 - 8);
    } finally {
      ws2.close();
    }
  }, 120_000);
});
