import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../../../shared/errors.ts';
import type { ModelKind, SeriesFormat, SliceStats, Spacing } from '../../../shared/series.ts';
import type { Vec3 } from '../../../formats/dicom/geometry.ts';
import { modelFiles } from './model-state.ts';
import { SCHEMA_VERSION, migrate } from './schema.ts';
import { WorkspaceStorageError, storageErrorOf, writeProblem, type StorageProblem } from './storage-problem.ts';
import { sweepLeftovers, type SweepReport } from './sweep.ts';
import { PixelReader, type PixelDtype } from './pixel-store.ts';

export const CATALOGUE_FILE = 'catalogue.sqlite';

/** Where a series lies in space: kept to write results back on the same grid. */
export type SeriesGeometry =
  | { kind: 'dicom'; origin: Vec3 | null; rowDirection: Vec3 | null; columnDirection: Vec3 | null; sliceDirection: Vec3 | null }
  | { kind: 'nifti'; affine: number[][] };

/**
 * A series as a list shows it: its record without the per-file columns (`files` alone is
 * one path per slice, most of the catalogue's series table), so listing 50 series does
 * not read and parse 10 000 paths.
 */
export type SeriesSummary = Omit<SeriesRecord, 'files' | 'warnings' | 'fingerprint'>;

export interface SeriesRecord {
  key: number;
  id: string;
  format: SeriesFormat;
  modality: string | null;
  description: string | null;
  patientId: string | null;
  rows: number;
  cols: number;
  slices: number;
  spacing: Spacing;
  geometry: SeriesGeometry;
  dtype: PixelDtype;
  photometric: string | null;
  files: string[];
  warnings: string[];
  fingerprint: string;
  /** relative to the workspace folder */
  pixelFile: string;
  importedAt: string;
}

export interface ModelRecord {
  name: string;
  kind: ModelKind;
  method: string;
  createdAt: string;
  meta: unknown;
}

/** The columns of a SeriesSummary (the rest of SeriesRow: files, warnings, fingerprint). */
const SUMMARY_COLUMNS =
  'key, id, format, modality, description, patient_id, rows, cols, slice_count, spacing, geometry, dtype, photometric, pixel_file, imported_at';
type SummaryRow = Omit<SeriesRow, 'files' | 'warnings' | 'fingerprint'>;

interface SeriesRow {
  key: number;
  id: string;
  format: SeriesFormat;
  modality: string | null;
  description: string | null;
  patient_id: string | null;
  rows: number;
  cols: number;
  slice_count: number;
  spacing: string;
  geometry: string;
  dtype: PixelDtype;
  photometric: string | null;
  files: string;
  warnings: string;
  fingerprint: string;
  pixel_file: string;
  imported_at: string;
}

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$/;

/**
 * What a command needs of a workspace. 'write': it changes the workspace, and an
 * unwritable folder (read-only mount, no permission, full disk) ends it at once with
 * exit 2. 'read': it only reads, and such a folder opens read-only (`readOnly` says why):
 * no migration, no sweep, no write of any kind.
 */
export type WorkspaceAccess = 'read' | 'write';

/**
 * A workspace folder: a SQLite catalogue (series, slices, annotations, models) plus
 * plain files for pixels and weights. Readers see only series whose import finished.
 */
export class Workspace {
  readonly db: Database.Database;
  /** leftovers of killed processes removed when it opened (sweep.ts); null when it cannot be written */
  readonly swept: SweepReport | null = null;
  private readonly readers = new Map<string, PixelReader>();

  private constructor(
    readonly dir: string,
    /** why this workspace cannot be written (it was opened read-only); null when it can */
    readonly readOnly: StorageProblem | null,
  ) {
    const cataloguePath = join(dir, CATALOGUE_FILE);
    if (readOnly) {
      this.db = openCatalogueReadOnly(cataloguePath);
      return;
    }
    this.db = new Database(cataloguePath);
    // WAL: readers (the UI) never block the importer or trainer, and a kill loses only the open transaction.
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db, cataloguePath);
    this.swept = sweepLeftovers(dir, this.db);
  }

  static open(dir: string, { create, access = 'write' }: { create: boolean; access?: WorkspaceAccess }): Workspace {
    const root = resolve(dir);
    const catalogue = join(root, CATALOGUE_FILE);
    if (!existsSync(catalogue)) {
      if (!create) throw new InputError(`${dir} is not an SSMTL workspace (no ${CATALOGUE_FILE}): import a series into it first`);
      const kernelFolder = kernelFileSystemOf(root);
      if (kernelFolder)
        throw new InputError(
          `--workspace ${dir} is inside ${kernelFolder}, which the kernel makes up and which holds no files: choose a folder on a disk`,
        );
      if (existsSync(root)) {
        if (!statSync(root).isDirectory()) throw new InputError(`--workspace ${dir} is a file, not a folder`);
        if (readdirSync(root).length > 0) {
          throw new InputError(`--workspace ${dir} is a non-empty folder that is not a workspace: choose a new or empty folder`);
        }
      }
      try {
        mkdirSync(root, { recursive: true });
      } catch (error) {
        throw storageErrorOf(error, root) ?? error;
      }
    }
    const unwritable = writeProblem(root);
    if (unwritable && (access === 'write' || !existsSync(catalogue))) throw new WorkspaceStorageError(root, unwritable);
    try {
      return new Workspace(root, unwritable);
    } catch (error) {
      throw storageErrorOf(error, root) ?? error;
    }
  }

  /** Imported series, in import order. */
  listSeries(): SeriesRecord[] {
    const rows = this.db.prepare('SELECT * FROM series ORDER BY key').all() as SeriesRow[];
    return rows.map(toRecord);
  }

  /** Imported series without their file lists, in import order (series-info.ts, the interface's list). */
  listSeriesSummaries(): SeriesSummary[] {
    const rows = this.db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM series ORDER BY key`).all() as SummaryRow[];
    return rows.map(toSummary);
  }

  findSeries(id: string): SeriesRecord | undefined {
    const row = this.db.prepare('SELECT * FROM series WHERE id = ?').get(id) as SeriesRow | undefined;
    return row && toRecord(row);
  }

  requireSeries(id: string): SeriesRecord {
    const record = this.findSeries(id);
    if (!record) {
      const known = this.listSeries().map((s) => s.id);
      throw new InputError(
        `no series '${id}' in ${this.dir}${known.length ? ` (it has: ${known.slice(0, 5).join(', ')}${known.length > 5 ? ', …' : ''})` : ' (it has none)'}`,
      );
    }
    return record;
  }

  /** Of `ids`, those that are no series of this workspace. */
  unknownSeries(ids: readonly string[]): string[] {
    const find = this.db.prepare('SELECT 1 FROM series WHERE id = ?').pluck();
    return ids.filter((id) => find.get(id) === undefined);
  }

  sliceStats(key: number): SliceStats[] {
    return this.db
      .prepare('SELECT idx AS "index", position, mean, min, max FROM slices WHERE series_key = ? ORDER BY idx')
      .all(key) as SliceStats[];
  }

  /**
   * mm of each slice along the slice normal, as the import measured them (DICOM:
   * ImagePositionPatient on the normal; NIfTI: the affine); null for a DICOM series
   * without positions, whose stored "positions" are only its file order.
   */
  slicePositions(seriesId: string): number[] | null {
    const record = this.requireSeries(seriesId);
    if (record.geometry.kind === 'dicom' && record.geometry.origin === null) return null;
    return (this.db.prepare('SELECT position FROM slices WHERE series_key = ? ORDER BY idx').pluck().all(record.key) as number[]).slice();
  }

  annotatedSlices(key: number): number[] {
    return (this.db.prepare('SELECT idx FROM annotations WHERE series_key = ? ORDER BY idx').all(key) as { idx: number }[]).map(
      (r) => r.idx,
    );
  }

  /** annotatedSlices of every series that has any, by series key: one query for a whole list. */
  annotatedSlicesByKey(): Map<number, number[]> {
    const rows = this.db.prepare('SELECT series_key AS key, idx FROM annotations ORDER BY series_key, idx').all() as {
      key: number;
      idx: number;
    }[];
    const byKey = new Map<number, number[]>();
    for (const { key, idx } of rows) {
      const slices = byKey.get(key);
      if (slices) slices.push(idx);
      else byKey.set(key, [idx]);
    }
    return byKey;
  }

  /** rows × cols modality values (HU for CT) of one slice, row-major. */
  readSlice(seriesId: string, index: number, out?: Float32Array): Float32Array {
    let reader = this.readers.get(seriesId);
    const record = reader ? undefined : this.requireSeries(seriesId);
    if (record) {
      reader = new PixelReader(join(this.dir, record.pixelFile), record.dtype, record.rows * record.cols);
      this.readers.set(seriesId, reader);
    }
    const series = reader as PixelReader;
    return series.read(index, out);
  }

  /** Forget open pixel files of a series (its file is about to be replaced). */
  releaseSeries(seriesId: string): void {
    this.readers.get(seriesId)?.close();
    this.readers.delete(seriesId);
  }

  modelDir(name: string): string {
    if (!MODEL_NAME.test(name)) {
      throw new InputError(`model name '${name}' must be 1-100 letters, digits, '.', '_', '+' or '-', starting with a letter or digit`);
    }
    const dir = modelFiles(this.dir, name).dir;
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  listModels(): ModelRecord[] {
    const rows = this.db.prepare('SELECT * FROM models ORDER BY created_at, name').all() as ModelRow[];
    return rows.map(toModel);
  }

  getModel(name: string): ModelRecord | undefined {
    const row = this.db.prepare('SELECT * FROM models WHERE name = ?').get(name) as ModelRow | undefined;
    return row && toModel(row);
  }

  saveModel(record: ModelRecord): void {
    this.db
      .prepare(
        `INSERT INTO models (name, kind, method, created_at, meta) VALUES (@name, @kind, @method, @createdAt, @meta)
         ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, method = excluded.method, created_at = excluded.created_at, meta = excluded.meta`,
      )
      .run({ ...record, meta: JSON.stringify(record.meta ?? null) });
  }

  close(): void {
    for (const reader of this.readers.values()) reader.close();
    this.readers.clear();
    this.db.close();
  }
}

/**
 * The catalogue of a workspace that cannot be written. SQLite opens a WAL database
 * read-only when its -shm file exists (a process was killed with it open, and its
 * committed transactions are still in the -wal file); after a clean close there is none,
 * and it cannot be created, so the main file is read into memory instead: it holds
 * everything, because the last connection to close merged the -wal into it.
 */
function openCatalogueReadOnly(path: string): Database.Database {
  let db: Database.Database | null = null;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma('user_version', { simple: true });
  } catch {
    db?.close();
    const bytes = readFileSync(path);
    // bytes 18-19 say "WAL" (2); an in-memory copy reads as a rollback-journal file (1)
    if (bytes.length > 19 && bytes[18] === 2) bytes[18] = bytes[19] = 1;
    db = new Database(bytes, { readonly: true });
  }
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version !== SCHEMA_VERSION) {
    db.close();
    throw new InputError(
      `${path} has catalogue schema ${version}, this SSMTL Studio reads ${SCHEMA_VERSION}, and the workspace cannot be written to ` +
        (version < SCHEMA_VERSION ? 'upgrade it: make it writable once' : 'match it: update the app'),
    );
  }
  return db;
}

interface ModelRow {
  name: string;
  kind: ModelKind;
  method: string;
  created_at: string;
  meta: string;
}

function toModel(row: ModelRow): ModelRecord {
  return { name: row.name, kind: row.kind, method: row.method, createdAt: row.created_at, meta: JSON.parse(row.meta) };
}

function toRecord(row: SeriesRow): SeriesRecord {
  return {
    ...toSummary(row),
    files: JSON.parse(row.files),
    warnings: JSON.parse(row.warnings),
    fingerprint: row.fingerprint,
  };
}

function toSummary(row: SummaryRow): SeriesSummary {
  return {
    key: row.key,
    id: row.id,
    format: row.format,
    modality: row.modality,
    description: row.description,
    patientId: row.patient_id,
    rows: row.rows,
    cols: row.cols,
    slices: row.slice_count,
    spacing: JSON.parse(row.spacing),
    geometry: JSON.parse(row.geometry),
    dtype: row.dtype,
    photometric: row.photometric,
    pixelFile: row.pixel_file,
    importedAt: row.imported_at,
  };
}

/**
 * Linux's made-up file systems: nothing can be stored there, and Node's recursive mkdir
 * never returns for some paths under /proc, so a workspace there is refused up front.
 */
function kernelFileSystemOf(path: string): string | null {
  if (process.platform !== 'linux') return null;
  return ['/proc', '/sys', '/dev'].find((top) => path === top || path.startsWith(`${top}/`)) ?? null;
}
