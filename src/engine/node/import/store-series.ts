import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { SeriesRecord, Workspace } from '../workspace/workspace.ts';
import { writerTag } from '../workspace/sweep.ts';
import { PixelReader, PixelWriter, type PixelDtype, type SliceValues } from '../workspace/pixel-store.ts';

/** What the catalogue keeps of a series, besides what storing its slices decides. */
export type SeriesDescription = Omit<SeriesRecord, 'key' | 'slices' | 'dtype' | 'pixelFile' | 'importedAt'> & {
  /** the narrowest type the header says can hold the values; widened if a slice disagrees */
  dtypeHint: PixelDtype;
};

export interface SliceInput {
  /** modality values, or stored integers and an integral offset; consumed before the next slice is asked for, so producers may reuse one buffer */
  values: SliceValues;
  /** statistics of the exact values, when the producer had them before rounding to float32 */
  stats?: { mean: number; min: number; max: number };
  position: number;
  sourceFile: string;
  sourceFrame: number;
}

export function fingerprintOf(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

export function seriesFolder(id: string): string {
  return join('series', createHash('sha256').update(id).digest('hex').slice(0, 16));
}

/**
 * Streams slices into a new pixel file, then records the series and its slices in one
 * transaction. Until that commit the catalogue still shows the previous state, so a
 * kill at any moment leaves a consistent workspace (plus a stray file, which the next
 * open of the workspace sweeps: workspace/sweep.ts).
 */
export async function storeSeries(workspace: Workspace, series: SeriesDescription, slices: AsyncIterable<SliceInput>): Promise<number> {
  const folder = seriesFolder(series.id);
  mkdirSync(join(workspace.dir, folder), { recursive: true });
  const partial = join(workspace.dir, folder, `pixels-${writerTag()}-${randomBytes(6).toString('hex')}.partial`);
  const sliceValues = series.rows * series.cols;
  let writer = new PixelWriter(partial, series.dtypeHint, sliceValues);
  const rows: { idx: number; position: number; mean: number; min: number; max: number; source_file: string; source_frame: number }[] = [];
  try {
    for await (const slice of slices) {
      let written = writer.tryAppend(slice.values);
      if (!written) {
        writer = widenToFloat32(writer, partial);
        written = writer.tryAppend(slice.values) as NonNullable<typeof written>;
      }
      rows.push({
        idx: rows.length,
        position: slice.position,
        ...(slice.stats ?? written),
        source_file: slice.sourceFile,
        source_frame: slice.sourceFrame,
      });
    }
    writer.finish();
  } catch (error) {
    writer.abandon();
    rmSync(partial, { force: true });
    throw error;
  }
  if (rows.length === 0) {
    rmSync(partial, { force: true });
    if (readdirSync(join(workspace.dir, folder)).length === 0) rmSync(join(workspace.dir, folder), { recursive: true });
    return 0;
  }
  const pixelFile = join(folder, `pixels-${series.fingerprint.slice(0, 12)}-${writerTag()}.${writer.dtype}`);
  workspace.releaseSeries(series.id);
  renameSync(partial, join(workspace.dir, pixelFile));

  const db = workspace.db;
  db.transaction(() => {
    const existing = db.prepare('SELECT key FROM series WHERE id = ?').get(series.id) as { key: number } | undefined;
    const values = {
      id: series.id,
      format: series.format,
      modality: series.modality,
      description: series.description,
      patient_id: series.patientId,
      rows: series.rows,
      cols: series.cols,
      slice_count: rows.length,
      spacing: JSON.stringify(series.spacing),
      geometry: JSON.stringify(series.geometry),
      dtype: writer.dtype,
      photometric: series.photometric,
      files: JSON.stringify(series.files),
      warnings: JSON.stringify(series.warnings),
      fingerprint: series.fingerprint,
      pixel_file: pixelFile,
      imported_at: new Date().toISOString(),
    };
    let key: number;
    if (existing) {
      key = existing.key;
      db.prepare(
        `UPDATE series SET format=@format, modality=@modality, description=@description, patient_id=@patient_id, rows=@rows, cols=@cols,
         slice_count=@slice_count, spacing=@spacing, geometry=@geometry, dtype=@dtype, photometric=@photometric, files=@files,
         warnings=@warnings, fingerprint=@fingerprint, pixel_file=@pixel_file, imported_at=@imported_at WHERE key=@key`,
      ).run({ ...values, key });
      db.prepare('DELETE FROM slices WHERE series_key = ?').run(key);
      db.prepare('DELETE FROM annotations WHERE series_key = ? AND idx >= ?').run(key, rows.length);
    } else {
      key = Number(
        db
          .prepare(
            `INSERT INTO series (id, format, modality, description, patient_id, rows, cols, slice_count, spacing, geometry, dtype, photometric,
             files, warnings, fingerprint, pixel_file, imported_at) VALUES (@id, @format, @modality, @description, @patient_id, @rows, @cols,
             @slice_count, @spacing, @geometry, @dtype, @photometric, @files, @warnings, @fingerprint, @pixel_file, @imported_at)`,
          )
          .run(values).lastInsertRowid,
      );
    }
    const insert = db.prepare(
      'INSERT INTO slices (series_key, idx, position, mean, min, max, source_file, source_frame) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (const row of rows) insert.run(key, row.idx, row.position, row.mean, row.min, row.max, row.source_file, row.source_frame);
  })();
  removeStaleFiles(workspace, folder, pixelFile);
  return rows.length;
}

/** The header promised integers in range and a slice broke the promise: rewrite what was written as float32. */
function widenToFloat32(writer: PixelWriter, partial: string): PixelWriter {
  writer.finish();
  const narrow = `${partial}.narrow`;
  renameSync(partial, narrow);
  const reader = new PixelReader(narrow, writer.dtype, writer.sliceValues);
  const wide = new PixelWriter(partial, 'float32', writer.sliceValues);
  for (let i = 0; i < writer.slicesWritten; i++) wide.tryAppend(reader.read(i));
  reader.close();
  rmSync(narrow, { force: true });
  return wide;
}

/** Earlier versions of this series' pixels and leftovers of killed imports. */
function removeStaleFiles(workspace: Workspace, folder: string, keep: string): void {
  for (const name of readdirSync(join(workspace.dir, folder))) {
    if (join(folder, name) !== keep) rmSync(join(workspace.dir, folder, name), { force: true });
  }
}
