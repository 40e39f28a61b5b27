import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from '../atomic-file.ts';
import { writerTag } from '../workspace/sweep.ts';
import { seriesFolder } from '../import/store-series.ts';
import type { SeriesRecord, Workspace } from '../workspace/workspace.ts';

/**
 * Stored predictions, for review in the interface: the label volume (uint16, slices ×
 * rows × cols) in its own file plus a `predictions` row with volumes, per-slice
 * uncertainty and the suggested slices. New file, then the row, then the old file goes.
 */
export interface PredictionMeta {
  classes: number[];
  volumesMl: Record<string, number>;
  uncertainty: number[];
  suggestedSlices: number[];
}

export function savePrediction(
  workspace: Workspace,
  series: SeriesRecord,
  model: string,
  labels: Uint16Array,
  meta: PredictionMeta,
): string {
  const folder = join('predictions', seriesFolder(series.id).replace(/^series[\\/]/, ''));
  mkdirSync(join(workspace.dir, folder), { recursive: true });
  const file = join(folder, `${model}-${writerTag()}-${randomBytes(6).toString('hex')}.u16`);
  writeFileAtomically(join(workspace.dir, file), new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength));
  const previous = workspace.db.prepare('SELECT label_file FROM predictions WHERE series_key = ? AND model = ?').get(series.key, model) as
    { label_file: string } | undefined;
  workspace.db
    .prepare(
      `INSERT INTO predictions (series_key, model, label_file, created_at, meta) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(series_key, model) DO UPDATE SET label_file = excluded.label_file, created_at = excluded.created_at, meta = excluded.meta`,
    )
    .run(series.key, model, file, new Date().toISOString(), JSON.stringify(meta));
  if (previous && previous.label_file !== file) rmSync(join(workspace.dir, previous.label_file), { force: true });
  return file;
}

export function readPrediction(
  workspace: Workspace,
  series: SeriesRecord,
  model: string,
): { labels: Uint16Array; meta: PredictionMeta; createdAt: string } | null {
  const row = workspace.db
    .prepare('SELECT label_file, created_at, meta FROM predictions WHERE series_key = ? AND model = ?')
    .get(series.key, model) as { label_file: string; created_at: string; meta: string } | undefined;
  if (!row) return null;
  const path = join(workspace.dir, row.label_file);
  if (!existsSync(path)) return null;
  const bytes = readFileSync(path);
  const labels = new Uint16Array(bytes.length / 2);
  new Uint8Array(labels.buffer).set(bytes);
  return { labels, meta: JSON.parse(row.meta) as PredictionMeta, createdAt: row.created_at };
}

/** Every stored prediction (without its labels), by series id, oldest first. */
export function listPredictions(workspace: Workspace): Map<string, { model: string; createdAt: string; meta: Partial<PredictionMeta> }[]> {
  const rows = workspace.db
    .prepare(
      `SELECT s.id AS seriesId, p.model AS model, p.created_at AS createdAt, p.meta AS meta
       FROM predictions p JOIN series s ON s.key = p.series_key ORDER BY p.created_at`,
    )
    .all() as { seriesId: string; model: string; createdAt: string; meta: string }[];
  const out = new Map<string, { model: string; createdAt: string; meta: Partial<PredictionMeta> }[]>();
  for (const { seriesId, model, createdAt, meta } of rows) {
    out.set(seriesId, [...(out.get(seriesId) ?? []), { model, createdAt, meta: JSON.parse(meta) as Partial<PredictionMeta> }]);
  }
  return out;
}
