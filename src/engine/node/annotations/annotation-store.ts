import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../../shared/errors.ts';
import { seriesFolder } from '../import/store-series.ts';
import type { SeriesRecord, Workspace } from '../workspace/workspace.ts';
import { writeFileAtomically } from '../atomic-file.ts';
import { readLabelSet } from './label-set.ts';

/**
 * Per-slice label maps of the slices a person annotated. A map is rows × cols uint16
 * label values (0 = background), row-major like the slice, in its own file; the
 * `annotations` row points at it. A save writes a new file (temp + fsync + rename), then
 * switches the row in one transaction, then deletes the old file: a kill at any moment
 * loses at most the save in flight, and a row never points at a torn file.
 */
export interface SliceAnnotation {
  index: number;
  /** rows × cols label values */
  labels: Uint16Array;
  updatedAt: string;
}

interface AnnotationRow {
  idx: number;
  updated_at: string;
  label_file: string | null;
  checksum: string | null;
}

function checksumOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function toBytes(labels: Uint16Array): Uint8Array {
  // Little endian on disk; every platform the app targets is little endian, so a view suffices.
  return new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength);
}

/** Values of a map that are neither background nor in the workspace's label set. */
export function unknownValues(workspace: Workspace, labels: Uint16Array): number[] {
  const known = new Set(readLabelSet(workspace).map((l) => l.value));
  const present = new Set<number>();
  for (let i = 0; i < labels.length; i++) if (labels[i] !== 0) present.add(labels[i]);
  return [...present].filter((v) => !known.has(v)).sort((a, b) => a - b);
}

/** Refuses a slice index the series does not have (before any file or row is touched). */
function requireSliceIndex(series: SeriesRecord, index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= series.slices)
    throw new InputError(`slice ${index} is outside series ${series.id} (0..${series.slices - 1})`);
}

/**
 * Saves the label maps of some slices of a series at once: every file first, then one
 * transaction, so the set is all-or-nothing. Values outside the label set are refused.
 */
export function saveSliceAnnotations(workspace: Workspace, series: SeriesRecord, maps: { index: number; labels: Uint16Array }[]): void {
  const plane = series.rows * series.cols;
  for (const { index, labels } of maps) {
    requireSliceIndex(series, index);
    if (labels.length !== plane)
      throw new InputError(
        `label map of slice ${index} has ${labels.length} values; series ${series.id} slices are ${series.rows} × ${series.cols} = ${plane}`,
      );
    const unknown = unknownValues(workspace, labels);
    if (unknown.length > 0)
      throw new InputError(
        `slice ${index}: label values ${unknown.join(', ')} are not in the workspace's label set (add them to it first)`,
      );
  }
  const folder = join('annotations', seriesFolder(series.id).replace(/^series[\\/]/, ''));
  mkdirSync(join(workspace.dir, folder), { recursive: true });
  const written: { index: number; file: string; checksum: string }[] = [];
  try {
    for (const { index, labels } of maps) {
      const bytes = toBytes(labels);
      const file = join(folder, `slice-${index}-${randomBytes(6).toString('hex')}.u16`);
      writeFileAtomically(join(workspace.dir, file), bytes);
      written.push({ index, file, checksum: checksumOf(bytes) });
    }
  } catch (error) {
    for (const w of written) rmSync(join(workspace.dir, w.file), { force: true });
    throw error;
  }
  const replaced: string[] = [];
  const now = new Date().toISOString();
  workspace.db.transaction(() => {
    const previous = workspace.db.prepare('SELECT label_file FROM annotations WHERE series_key = ? AND idx = ?');
    const upsert = workspace.db.prepare(
      `INSERT INTO annotations (series_key, idx, updated_at, label_file, checksum) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(series_key, idx) DO UPDATE SET updated_at = excluded.updated_at, label_file = excluded.label_file, checksum = excluded.checksum`,
    );
    for (const w of written) {
      const old = previous.get(series.key, w.index) as { label_file: string | null } | undefined;
      if (old?.label_file) replaced.push(old.label_file);
      upsert.run(series.key, w.index, now, w.file, w.checksum);
    }
  })();
  for (const file of replaced) rmSync(join(workspace.dir, file), { force: true });
}

/**
 * Removes slices from the annotated set (their maps are deleted after the commit). An
 * index the series does not have is refused like a save to it (an empty mask saved is a delete).
 */
export function deleteSliceAnnotations(workspace: Workspace, series: SeriesRecord, indices: number[]): void {
  for (const index of indices) requireSliceIndex(series, index);
  const files: string[] = [];
  workspace.db.transaction(() => {
    const get = workspace.db.prepare('SELECT label_file FROM annotations WHERE series_key = ? AND idx = ?');
    const del = workspace.db.prepare('DELETE FROM annotations WHERE series_key = ? AND idx = ?');
    for (const index of indices) {
      const row = get.get(series.key, index) as { label_file: string | null } | undefined;
      if (row?.label_file) files.push(row.label_file);
      del.run(series.key, index);
    }
  })();
  for (const file of files) rmSync(join(workspace.dir, file), { force: true });
}

function readRow(workspace: Workspace, series: SeriesRecord, row: AnnotationRow): SliceAnnotation {
  if (!row.label_file)
    throw new InputError(`slice ${row.idx} of series ${series.id} is marked annotated but has no label map (annotate it again)`);
  const path = join(workspace.dir, row.label_file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new Error(`label map of slice ${row.idx} of series ${series.id} is missing (${path})`);
  }
  if (row.checksum && checksumOf(bytes) !== row.checksum)
    throw new Error(`label map of slice ${row.idx} of series ${series.id} is damaged (${path}: checksum mismatch)`);
  const plane = series.rows * series.cols;
  if (bytes.length !== plane * 2) throw new Error(`label map ${path} has ${bytes.length} bytes, expected ${plane * 2}`);
  const labels = new Uint16Array(plane);
  new Uint8Array(labels.buffer).set(bytes);
  return { index: row.idx, labels, updatedAt: row.updated_at };
}

export function readSliceAnnotation(workspace: Workspace, series: SeriesRecord, index: number): SliceAnnotation | null {
  const row = workspace.db
    .prepare('SELECT idx, updated_at, label_file, checksum FROM annotations WHERE series_key = ? AND idx = ?')
    .get(series.key, index) as AnnotationRow | undefined;
  return row ? readRow(workspace, series, row) : null;
}

/** Every annotated slice of a series, in slice order. */
export function readSliceAnnotations(workspace: Workspace, series: SeriesRecord): SliceAnnotation[] {
  const rows = workspace.db
    .prepare('SELECT idx, updated_at, label_file, checksum FROM annotations WHERE series_key = ? ORDER BY idx')
    .all(series.key) as AnnotationRow[];
  return rows.map((row) => readRow(workspace, series, row));
}
