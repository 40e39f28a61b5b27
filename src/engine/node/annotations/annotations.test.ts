import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InputError } from '../../../shared/errors.ts';
import { MMWHS_LABELS } from '../../../shared/labels.ts';
import { writeNifti } from '../../../formats/nifti/write-nifti.ts';
import { importScanned } from '../import/import-series.ts';
import { scanPaths } from '../import/scan-paths.ts';
import { Workspace } from '../workspace/workspace.ts';
import { StudioService } from '../studio/studio-service.ts';
import { deleteSliceAnnotations, readSliceAnnotation, readSliceAnnotations, saveSliceAnnotations } from './annotation-store.ts';
import { importAnnotations } from './import-annotations.ts';
import { readLabelSet } from './label-set.ts';
import { readSeriesLabels } from './label-volume.ts';

const COLS = 6;
const ROWS = 5;
const SLICES = 4;
/** 2 mm in-plane, 3 mm slices, LPS-style axes seen from RAS (x and y flipped), some origin. */
const AFFINE = [
  [-2, 0, 0, 40],
  [0, -2, 0, 30],
  [0, 0, 3, -10],
  [0, 0, 0, 1],
];

const open: Workspace[] = [];
afterEach(() => {
  for (const w of open.splice(0)) w.close();
});

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'ssmtl-annotations-'));
}

/** A NIfTI image series imported into a fresh workspace; truth labels: voxel (i, j, k) → 500 where i + j + k is even on slices ≥ 1. */
async function fixture() {
  const dir = scratch();
  const image = new Int16Array(COLS * ROWS * SLICES).map((_, n) => n % 97);
  writeFileSync(join(dir, 'image.nii'), writeNifti({ data: image, dims: [COLS, ROWS, SLICES], pixdim: [2, 2, 3], affine: AFFINE }));
  const truth = new Uint16Array(COLS * ROWS * SLICES);
  for (let k = 1; k < SLICES; k++)
    for (let j = 0; j < ROWS; j++)
      for (let i = 0; i < COLS; i++) truth[(k * ROWS + j) * COLS + i] = (i + j + k) % 2 === 0 ? 500 : i === 0 ? 600 : 0;
  const workspace = Workspace.open(join(dir, 'ws'), { create: true });
  open.push(workspace);
  await importScanned(workspace, scanPaths([join(dir, 'image.nii')]));
  const series = workspace.listSeries()[0];
  return { dir, workspace, series, truth };
}

function truthSlice(truth: Uint16Array, k: number): Uint16Array {
  return truth.slice(k * ROWS * COLS, (k + 1) * ROWS * COLS);
}

describe('label set', () => {
  it('defaults to the seven MM-WHS structures', async () => {
    const { workspace } = await fixture();
    expect(readLabelSet(workspace)).toEqual(MMWHS_LABELS);
  });
});

describe('annotation store', () => {
  it('saves, replaces and deletes slice label maps; `annotations` lists the annotated slices', async () => {
    const { workspace, series } = await fixture();
    const map = new Uint16Array(ROWS * COLS).fill(500);
    saveSliceAnnotations(workspace, series, [{ index: 2, labels: map }]);
    expect(workspace.annotatedSlices(series.key)).toEqual([2]);
    expect(readSliceAnnotation(workspace, series, 2)?.labels).toEqual(map);
    const again = new Uint16Array(ROWS * COLS).fill(600);
    saveSliceAnnotations(workspace, series, [
      { index: 2, labels: again },
      { index: 0, labels: map },
    ]);
    expect(readSliceAnnotations(workspace, series).map((a) => [a.index, a.labels[0]])).toEqual([
      [0, 500],
      [2, 600],
    ]);
    // the replaced map's file is gone: one file per annotated slice
    const folder = join(workspace.dir, 'annotations', readdirSync(join(workspace.dir, 'annotations'))[0]);
    expect(readdirSync(folder)).toHaveLength(2);
    deleteSliceAnnotations(workspace, series, [2]);
    expect(workspace.annotatedSlices(series.key)).toEqual([0]);
    expect(readdirSync(folder)).toHaveLength(1);
  });

  it('refuses values outside the label set and maps of the wrong size, and saves nothing then', async () => {
    const { workspace, series } = await fixture();
    expect(() => saveSliceAnnotations(workspace, series, [{ index: 1, labels: new Uint16Array(ROWS * COLS).fill(7) }])).toThrow(
      /label values 7 are not in the workspace's label set/,
    );
    expect(() => saveSliceAnnotations(workspace, series, [{ index: 1, labels: new Uint16Array(3) }])).toThrow(InputError);
    expect(workspace.annotatedSlices(series.key)).toEqual([]);
  });

  it('refuses a slice index outside the series, also for an empty mask (a delete), through the interface call', async () => {
    const { workspace, series } = await fixture();
    const service = new StudioService({ workspace: workspace.dir, transport: 'serve' });
    try {
      const empty = new Uint8Array(ROWS * COLS * 2);
      const painted = new Uint8Array(new Uint16Array(ROWS * COLS).fill(500).buffer);
      for (const index of [SLICES, SLICES + 1, 100_000])
        for (const mask of [empty, painted])
          await expect(service.call('saveAnnotation', [series.id, index, mask])).rejects.toThrow(
            `slice ${index} is outside series ${series.id} (0..${SLICES - 1})`,
          );
      expect(() => deleteSliceAnnotations(workspace, series, [-1])).toThrow(InputError);
      expect(await service.call('saveAnnotation', [series.id, SLICES - 1, empty])).toMatchObject({ annotatedSlices: [] });
      expect(workspace.annotatedSlices(series.key)).toEqual([]);
    } finally {
      await service.close();
    }
  });

  it('notices a label map damaged on disk', async () => {
    const { workspace, series } = await fixture();
    saveSliceAnnotations(workspace, series, [{ index: 1, labels: new Uint16Array(ROWS * COLS).fill(500) }]);
    const row = workspace.db.prepare('SELECT label_file FROM annotations').get() as { label_file: string };
    const path = join(workspace.dir, row.label_file);
    const bytes = readFileSync(path);
    bytes[0] ^= 1;
    writeFileSync(path, bytes);
    expect(() => readSliceAnnotation(workspace, series, 1)).toThrow(/damaged/);
  });
});

describe('label volumes onto a series grid', () => {
  it('reads a NIfTI label volume with the same affine voxel for voxel', async () => {
    const { dir, workspace, series, truth } = await fixture();
    writeFileSync(
      join(dir, 'labels.nii.gz'),
      writeNifti({ data: truth, dims: [COLS, ROWS, SLICES], pixdim: [2, 2, 3], affine: AFFINE, intent: 'label', gzip: true }),
    );
    const labels = readSeriesLabels(workspace, series, join(dir, 'labels.nii.gz'));
    expect(labels.labelled).toEqual([1, 2, 3]);
    expect(labels.values).toEqual([500, 600]);
    for (let k = 0; k < SLICES; k++) expect(labels.slice(k)).toEqual(truthSlice(truth, k));
  });

  it('follows a label volume stored in another axis order (reoriented to RAS with the slice axis reversed)', async () => {
    const { dir, workspace, series, truth } = await fixture();
    // Same grid, i and k reversed: voxel (i', j, k') = (COLS-1-i, j, SLICES-1-k).
    const flipped = new Uint16Array(truth.length);
    for (let k = 0; k < SLICES; k++)
      for (let j = 0; j < ROWS; j++)
        for (let i = 0; i < COLS; i++) flipped[((SLICES - 1 - k) * ROWS + j) * COLS + (COLS - 1 - i)] = truth[(k * ROWS + j) * COLS + i];
    const affine = [
      [2, 0, 0, 40 - 2 * (COLS - 1)],
      [0, -2, 0, 30],
      [0, 0, -3, -10 + 3 * (SLICES - 1)],
      [0, 0, 0, 1],
    ];
    writeFileSync(
      join(dir, 'flipped.nii'),
      writeNifti({ data: flipped, dims: [COLS, ROWS, SLICES], pixdim: [2, 2, 3], affine, intent: 'label' }),
    );
    const labels = readSeriesLabels(workspace, series, join(dir, 'flipped.nii'));
    for (let k = 0; k < SLICES; k++) expect(labels.slice(k)).toEqual(truthSlice(truth, k));
  });

  it('refuses labels on another grid, naming both shapes', async () => {
    const { dir, workspace, series } = await fixture();
    writeFileSync(
      join(dir, 'small.nii'),
      writeNifti({
        data: new Uint16Array(4 * 4 * 4),
        dims: [4, 4, 4],
        pixdim: [1, 1, 1],
        affine: [
          [1, 0, 0, 0],
          [0, 1, 0, 0],
          [0, 0, 1, 0],
          [0, 0, 0, 1],
        ],
      }),
    );
    expect(() => readSeriesLabels(workspace, series, join(dir, 'small.nii'))).toThrow(
      /is 4 × 4 × 4 voxels .*6 × 5 × 4 \(columns × rows × slices\)/,
    );
    writeFileSync(
      join(dir, 'float.nii'),
      writeNifti({ data: new Float32Array(COLS * ROWS * SLICES).fill(0.5), dims: [COLS, ROWS, SLICES], pixdim: [2, 2, 3], affine: AFFINE }),
    );
    expect(() => readSeriesLabels(workspace, series, join(dir, 'float.nii'))).toThrow(/not label values .*0\.5/);
  });
});

describe('annotations import', () => {
  it('takes N random labelled slices (seeded), or a list; values outside the label set are added and reported', async () => {
    const { dir, workspace, series, truth } = await fixture();
    writeFileSync(
      join(dir, 'labels.nii'),
      writeNifti({
        data: truth.map((v) => (v === 600 ? 7 : v)),
        dims: [COLS, ROWS, SLICES],
        pixdim: [2, 2, 3],
        affine: AFFINE,
        intent: 'label',
      }),
    );
    const first = importAnnotations(workspace, { seriesId: series.id, labelsPath: join(dir, 'labels.nii'), count: 2, seed: 3 });
    expect(first.annotatedSlices).toHaveLength(2);
    expect(first.annotatedSlices.every((k) => k >= 1)).toBe(true);
    expect(first.labels).toEqual([7, 500]);
    expect(first.addedLabels.map((l) => l.value)).toEqual([7]);
    expect(first.warnings.join()).toMatch(/values 7 were not in the label set/);
    expect(readLabelSet(workspace).map((l) => l.value)).toContain(7);
    // Same seed, same slices.
    const again = importAnnotations(workspace, { seriesId: series.id, labelsPath: join(dir, 'labels.nii'), count: 2, seed: 3 });
    expect(again.annotatedSlices).toEqual(first.annotatedSlices);
    const listed = importAnnotations(workspace, { seriesId: series.id, labelsPath: join(dir, 'labels.nii'), sliceList: [0, 3] });
    expect(listed.allAnnotatedSlices).toEqual([...new Set([...first.annotatedSlices, 0, 3])].sort());
    expect(readSliceAnnotation(workspace, series, 3)?.labels).toEqual(truthSlice(truth, 3).map((v) => (v === 600 ? 7 : v)));
  });

  it('with --unknown-labels error, refuses the file and stores nothing', async () => {
    const { dir, workspace, series, truth } = await fixture();
    writeFileSync(
      join(dir, 'labels.nii'),
      writeNifti({
        data: truth.map((v) => (v === 600 ? 9 : v)),
        dims: [COLS, ROWS, SLICES],
        pixdim: [2, 2, 3],
        affine: AFFINE,
        intent: 'label',
      }),
    );
    expect(() =>
      importAnnotations(workspace, { seriesId: series.id, labelsPath: join(dir, 'labels.nii'), sliceList: [1, 2], unknownLabels: 'error' }),
    ).toThrow(/values 9 are not in the workspace's label set/);
    expect(workspace.annotatedSlices(series.key)).toEqual([]);
  });
});
