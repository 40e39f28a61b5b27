import { lstatSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { isRunning } from '../process/is-running.ts';

/**
 * What a killed process leaves in a workspace, found and removed when the workspace opens
 * (only when it can be written): temporary files of atomic writes (`….tmp-PID`: label
 * maps, checkpoints, exports), half-written pixel files (`pixels-pPID-….partial`), files
 * renamed into place whose catalogue row was never committed (pixels, label maps,
 * predictions, a segmentation model's weights), and PACS staging folders (`.incoming-PID-…`).
 *
 * Another process may be writing the same workspace at this moment, so a file goes only
 * when the process that wrote it is gone: the writer's pid is in every such name. A name
 * without one (written by an earlier version) goes once it is an hour old.
 */
export interface SweepReport {
  files: number;
  bytes: number;
}

/** The writer's pid in a file name: "-pPID-" / "-pPID." (see writerTag), ".tmp-PID", ".incoming-PID-". */
const PID_PATTERNS = [/-p(\d+)[-.]/, /\.tmp-(\d+)$/, /^\.incoming-(\d+)-/];
const UNMARKED_AGE_MS = 60 * 60 * 1000;

/** The mark of this process in names it writes, so that a sweep knows whether their writer still runs. */
export function writerTag(): string {
  return `p${process.pid}`;
}

/** The last mark in the name: a model's own name may hold something like one before it. */
function writerPid(name: string): number | null {
  for (const pattern of PID_PATTERNS) {
    const match = [...name.matchAll(new RegExp(pattern, 'g'))].at(-1);
    if (match) return Number(match[1]);
  }
  return null;
}

/** Whether the writer of `name` (at `path`) is gone. */
function abandoned(name: string, path: string, now: number): boolean {
  const pid = writerPid(name);
  if (pid !== null) return pid !== process.pid && !isRunning(pid);
  try {
    return now - statSync(path).mtimeMs > UNMARKED_AGE_MS;
  } catch {
    return false;
  }
}

function sizeOf(path: string): number {
  let bytes = 0;
  const stat = lstatSync(path);
  if (stat.isDirectory()) for (const name of readdirSync(path)) bytes += sizeOf(join(path, name));
  else bytes += stat.size;
  return bytes;
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Files directly in the per-series folders under `area` (series/, annotations/, predictions/). */
function* perSeriesFiles(root: string, area: string): Generator<{ name: string; relative: string; path: string }> {
  for (const folder of entries(join(root, area))) {
    for (const name of entries(join(root, area, folder)))
      yield { name, relative: join(area, folder, name), path: join(root, area, folder, name) };
  }
}

export function sweepLeftovers(root: string, db: Database.Database): SweepReport {
  const report: SweepReport = { files: 0, bytes: 0 };
  const now = Date.now();
  const remove = (path: string) => {
    try {
      const bytes = sizeOf(path);
      rmSync(path, { recursive: true, force: true });
      report.files++;
      report.bytes += bytes;
    } catch {
      // gone meanwhile, or not ours to remove: the next sweep tries again
    }
  };
  const referenced = new Set<string>(
    (
      db
        .prepare(
          `SELECT pixel_file AS file FROM series UNION ALL
           SELECT label_file FROM annotations WHERE label_file IS NOT NULL UNION ALL
           SELECT label_file FROM predictions`,
        )
        .pluck()
        .all() as string[]
    ).map((file) => join(file)),
  );
  for (const area of ['series', 'annotations', 'predictions']) {
    for (const file of perSeriesFiles(root, area)) {
      if (!referenced.has(file.relative) && abandoned(file.name, file.path, now)) remove(file.path);
    }
  }
  // a segmentation model's weights are written under a new name, then recorded
  const weights = new Map(
    (db.prepare(`SELECT name, json_extract(meta, '$.weights') AS weights FROM models`).all() as { name: string; weights: unknown }[]).map(
      (m) => [m.name, m.weights],
    ),
  );
  for (const model of entries(join(root, 'models'))) {
    for (const name of entries(join(root, 'models', model))) {
      const path = join(root, 'models', model, name);
      const unrecorded = /^seg-weights-.*\.bin$/.test(name) && weights.get(model) !== name;
      if ((unrecorded || /\.tmp-\d+$/.test(name)) && abandoned(name, path, now)) remove(path);
    }
  }
  // temporary files of atomic writes elsewhere
  for (const name of entries(join(root, 'exports'))) {
    if (/\.tmp-\d+$/.test(name) && abandoned(name, join(root, 'exports', name), now)) remove(join(root, 'exports', name));
  }
  for (const name of entries(join(root, 'sources', 'pacs'))) {
    if (name.startsWith('.incoming-') && abandoned(name, join(root, 'sources', 'pacs', name), now))
      remove(join(root, 'sources', 'pacs', name));
  }
  for (const name of entries(root)) if (/\.tmp-\d+$/.test(name) && abandoned(name, join(root, name), now)) remove(join(root, name));
  return report;
}
