import type Database from 'better-sqlite3';

/**
 * The catalogue's schema, as numbered migrations. `PRAGMA user_version` records how
 * many have run; each runs in its own transaction, so a kill leaves either the old or
 * the new version, never half of one. Append new migrations; never edit old ones.
 */
const MIGRATIONS: string[] = [
  // 1: series, their slices and geometry; annotations; models.
  // A series row is written only once its pixel file is complete (one transaction with
  // its slices), so a kill during an import leaves at most an unreferenced file.
  `
  CREATE TABLE series (
    key INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    format TEXT NOT NULL CHECK (format IN ('dicom', 'nifti')),
    modality TEXT,
    description TEXT,
    patient_id TEXT,
    rows INTEGER NOT NULL,
    cols INTEGER NOT NULL,
    slice_count INTEGER NOT NULL,
    spacing TEXT NOT NULL,          -- JSON [column mm, row mm, slice mm]
    geometry TEXT NOT NULL,         -- JSON: origin, directions (DICOM, LPS) or affine (NIfTI, RAS)
    dtype TEXT NOT NULL CHECK (dtype IN ('int16', 'uint16', 'float32')),
    photometric TEXT,
    files TEXT NOT NULL,            -- JSON list of source files in slice order
    warnings TEXT NOT NULL,         -- JSON list
    fingerprint TEXT NOT NULL,      -- what was imported, to make re-imports idempotent
    pixel_file TEXT NOT NULL,       -- relative to the workspace; a new name per import, so a row never points at a half-written file
    imported_at TEXT NOT NULL
  );
  CREATE TABLE slices (
    series_key INTEGER NOT NULL REFERENCES series(key) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    position REAL NOT NULL,
    mean REAL NOT NULL,
    min REAL NOT NULL,
    max REAL NOT NULL,
    source_file TEXT NOT NULL,
    source_frame INTEGER NOT NULL,
    PRIMARY KEY (series_key, idx)
  );
  CREATE TABLE annotations (
    series_key INTEGER NOT NULL REFERENCES series(key) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (series_key, idx)
  );
  CREATE TABLE models (
    name TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('pretrained', 'segmentation')),
    method TEXT NOT NULL,
    created_at TEXT NOT NULL,
    meta TEXT NOT NULL              -- JSON
  );
  `,
  // 2: annotations (issue 4). The label set; each annotated slice's label map lives in a
  // file named by the row (a new name per save, so a row never points at a half-written
  // map); stored predictions for review. `annotations` stays the one list of which slices
  // are annotated.
  `
  CREATE TABLE label_set (
    value INTEGER PRIMARY KEY CHECK (value BETWEEN 1 AND 65535),
    name TEXT NOT NULL,
    color TEXT NOT NULL,
    position INTEGER NOT NULL
  );
  -- the default: MM-WHS (shared/labels.ts MMWHS_LABELS, written out so that this migration never changes)
  INSERT INTO label_set (value, name, color, position) VALUES
    (500, 'LV', '#ff0000', 0),
    (600, 'RV', '#00ff00', 1),
    (420, 'LA', '#0000ff', 2),
    (550, 'RA', '#ffff00', 3),
    (205, 'Myocardium', '#00ffff', 4),
    (820, 'Ascending aorta', '#ff00ff', 5),
    (850, 'Pulmonary artery', '#ffa500', 6);
  ALTER TABLE annotations ADD COLUMN label_file TEXT;   -- relative to the workspace; uint16 rows × cols
  ALTER TABLE annotations ADD COLUMN checksum TEXT;     -- sha256 of the file's bytes
  CREATE TABLE predictions (
    series_key INTEGER NOT NULL REFERENCES series(key) ON DELETE CASCADE,
    model TEXT NOT NULL,
    label_file TEXT NOT NULL,       -- relative to the workspace; uint16 slices × rows × cols
    created_at TEXT NOT NULL,
    meta TEXT NOT NULL,             -- JSON: classes, volumes, per-slice uncertainty, ranking
    PRIMARY KEY (series_key, model)
  );
  `,
  // 3: configured PACS (issue 15). The entry as JSON (shared/pacs.ts PacsEntry): addresses,
  // AE titles, TLS, the kind of login and the *names* of the environment variables that
  // hold secrets. Never a password or token: those live in the environment or the OS keychain.
  `
  CREATE TABLE pacs_entries (
    name TEXT PRIMARY KEY,
    entry TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function migrate(db: Database.Database, source: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new Error(`${source} was written by a newer SSMTL Studio (schema ${version}; this one knows ${SCHEMA_VERSION}): update the app`);
  }
  for (let next = version; next < SCHEMA_VERSION; next++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[next]);
      db.pragma(`user_version = ${next + 1}`);
    })();
  }
}
