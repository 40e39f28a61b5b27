import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { encodeBytes } from '../../src/shared/rpc.ts';
import { readNifti } from '../../src/formats/nifti/read-nifti.ts';
import { readSliceAnnotations } from '../../src/engine/node/annotations/annotation-store.ts';
import { readCheckpointFile } from '../../src/engine/node/checkpoint-file.ts';
import { readPrediction } from '../../src/engine/node/segmentation/prediction-store.ts';
import { BYTES_PER_VALUE } from '../../src/engine/node/workspace/pixel-store.ts';
import { Workspace } from '../../src/engine/node/workspace/workspace.ts';
import { syntheticVolume, writeNifti } from '../../src/engine/node/test-fixtures.ts';
import { openApiClient, startServeProcess } from './start-serve-process.ts';

/**
 * Crash trials: kill -9 (of the command and every process it started) at a random moment
 * of an import, a pre-training, annotation saves (through serve's API, as the interface
 * saves strokes), a fine-tuning or a prediction, on a copy of a prepared workspace; then
 * check what a user relies on: the workspace opens, `PRAGMA integrity_check` is ok, every
 * file the catalogue names exists and reads whole, what was there before is intact, and
 * everything acknowledged as saved (a finished command, an answered save, a recorded
 * epoch) is there. bench/crash-kill.ts runs N of them; tests/crash-kill.test.ts a few.
 */
export const CRASH_OPS = ['import', 'pretrain', 'annotate', 'finetune', 'predict'] as const;
export type CrashOp = (typeof CRASH_OPS)[number];

/** How long into each operation a kill may land (ms): about its length on a loaded 2-core machine. */
export const KILL_WINDOW_MS: Record<CrashOp, number> = { import: 4000, pretrain: 12000, annotate: 4000, finetune: 12000, predict: 8000 };

const CLI = join(import.meta.dirname, '..', '..', 'bin', 'ssmtl.mjs');
/** Small enough for seconds per run; the checkpoint (a few MB) large enough to fill a small disk. */
export const TRAINING = ['--size', '32', '--width', '8', '--batch', '8', '--backend', 'wasm'];

export interface CrashBase {
  root: string;
  /** the prepared workspace (copied for every trial): one series, a pre-trained and a segmentation model, annotated slices */
  workspace: string;
  series: { id: string; slices: number; rows: number; cols: number };
  /** a folder holding another series, for import trials */
  importSource: string;
  /** a folder holding a series of about 4 MB, to fill a small disk */
  largeSource: string;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `ssmtl ARGS` in a process group of its own; `killAfterMs`: SIGKILL the whole group then. */
export function runCli(args: string[], { killAfterMs, launcher = [] }: { killAfterMs?: number; launcher?: string[] } = {}) {
  const [command, ...rest] = [...launcher, process.execPath, CLI, ...args];
  const child = spawn(command, rest, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SSMTL_QUIET: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let killed = false;
  const timer =
    killAfterMs === undefined
      ? null
      : setTimeout(() => {
          killed = true;
          killGroup(child.pid!);
        }, killAfterMs);
  return new Promise<RunResult & { killed: boolean }>((resolve) =>
    child.once('close', (code) => {
      if (timer) clearTimeout(timer);
      // a job process the command started dies with it (a crash takes the machine's whole work)
      killGroup(child.pid!);
      void groupGone(child.pid!).then(() => resolve({ code, stdout, stderr, killed }));
    }),
  );
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * A process killed inside a write (fsync of a checkpoint) dies only when the write
 * returns: the checks start once no process of the group is left (at most 20 s).
 */
async function groupGone(pgid: number): Promise<void> {
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
  }
}

async function required(args: string[]): Promise<RunResult> {
  const run = await runCli(args);
  if (run.code !== 0) throw new Error(`ssmtl ${args.slice(0, 2).join(' ')} failed (${run.code}): ${run.stderr.slice(-2000)}`);
  return run;
}

/** The sample's first series imported, pre-trained on, three slices annotated, fine-tuned from the pre-training. */
export async function prepareCrashBase(root: string): Promise<CrashBase> {
  mkdirSync(root, { recursive: true });
  const sample = JSON.parse(
    (await required(['sample', '--out', join(root, 'sample'), '--subjects', '2', '--slices', '16', '--size', '48', '--json'])).stdout,
  ) as { series: { id: string; dicom: string; labels: string; slices: number; rows: number; cols: number }[] };
  const [first, second] = sample.series;
  const workspace = join(root, 'base');
  await required(['import', first.dicom, '--workspace', workspace, '--json']);
  await required(['pretrain', '--workspace', workspace, ...TRAINING, '--epochs', '1', '--name', 'pre', '--json']);
  await required(['annotations', 'import', '--workspace', workspace, '--series', first.id, '--labels', first.labels, '--slices', '3']);
  await required(['finetune', '--workspace', workspace, '--name', 'seg', '--init', 'pre', '--epochs', '1', '--backend', 'wasm', '--json']);
  const largeSource = join(root, 'large');
  mkdirSync(largeSource, { recursive: true });
  writeNifti(join(largeSource, 'large.nii'), syntheticVolume(64, 128, 128, 3), 64, 128, 128);
  return {
    root,
    workspace,
    series: { id: first.id, slices: first.slices, rows: first.rows, cols: first.cols },
    importSource: second.dicom,
    largeSource,
  };
}

/** What the workspace holds that must survive: series, annotations (by checksum), finished models. */
interface Holdings {
  series: Map<string, number>;
  annotations: Map<string, string>;
  models: Set<string>;
}

export function holdings(workspace: Workspace): Holdings {
  const db = workspace.db;
  return {
    series: new Map(
      (db.prepare('SELECT id, slice_count FROM series').all() as { id: string; slice_count: number }[]).map((r) => [r.id, r.slice_count]),
    ),
    annotations: new Map(
      (
        db.prepare('SELECT s.id, a.idx, a.checksum FROM annotations a JOIN series s ON s.key = a.series_key').all() as {
          id: string;
          idx: number;
          checksum: string;
        }[]
      ).map((r) => [`${r.id}#${r.idx}`, r.checksum]),
    ),
    models: new Set(
      workspace
        .listModels()
        .filter((m) => (m.meta as { complete?: boolean } | null)?.complete !== false)
        .map((m) => m.name),
    ),
  };
}

/**
 * The checks after a crash. `acknowledged` adds the op's own: what the command reported
 * done, the saves answered. `touchedSlices`: annotations the op may have changed.
 */
export function checkWorkspace(
  dir: string,
  before: Holdings,
  acknowledged: (workspace: Workspace, problems: string[]) => void = () => {},
  touchedSlices: Set<string> = new Set(),
): string[] {
  const problems: string[] = [];
  let workspace: Workspace;
  try {
    workspace = Workspace.open(dir, { create: false });
  } catch (error) {
    return [`the workspace does not open: ${(error as Error).message}`];
  }
  try {
    const integrity = workspace.db.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok') problems.push(`integrity_check: ${String(integrity)}`);
    const foreign = workspace.db.pragma('foreign_key_check') as unknown[];
    if (foreign.length > 0) problems.push(`foreign_key_check: ${foreign.length} rows`);
    for (const series of workspace.listSeries()) {
      const path = join(workspace.dir, series.pixelFile);
      const expected = series.slices * series.rows * series.cols * BYTES_PER_VALUE[series.dtype];
      const size = existsSync(path) ? statSync(path).size : -1;
      if (size !== expected) problems.push(`series ${series.id}: pixel file ${series.pixelFile} has ${size} bytes, expected ${expected}`);
      else workspace.readSlice(series.id, series.slices - 1);
      try {
        readSliceAnnotations(workspace, series);
      } catch (error) {
        problems.push(`annotations of ${series.id}: ${(error as Error).message}`);
      }
      for (const { model } of workspace.db.prepare('SELECT model FROM predictions WHERE series_key = ?').all(series.key) as {
        model: string;
      }[]) {
        const prediction = readPrediction(workspace, series, model);
        if (prediction?.labels.length !== series.slices * series.rows * series.cols)
          problems.push(`prediction of ${model} for ${series.id}: missing or of the wrong size`);
      }
    }
    for (const model of workspace.listModels()) {
      const meta = (model.meta ?? {}) as { weights?: unknown; checkpoint?: unknown };
      for (const file of [meta.weights, meta.checkpoint]) {
        if (typeof file !== 'string') continue;
        try {
          readCheckpointFile(join(workspace.dir, 'models', model.name, file));
        } catch (error) {
          problems.push(`model ${model.name}: ${file} does not read: ${(error as Error).message}`);
        }
      }
    }
    const after = holdings(workspace);
    for (const [id, slices] of before.series) if (after.series.get(id) !== slices) problems.push(`series ${id} was lost or changed`);
    for (const [key, checksum] of before.annotations)
      if (!touchedSlices.has(key) && after.annotations.get(key) !== checksum) problems.push(`annotation ${key} was lost or changed`);
    for (const name of before.models) if (!after.models.has(name)) problems.push(`model ${name} was lost`);
    acknowledged(workspace, problems);
  } catch (error) {
    problems.push(`reading the workspace failed: ${(error as Error).message}`);
  } finally {
    workspace.close();
  }
  const left = readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => /\.partial$|\.tmp-\d+$|\.incoming-/.test(f));
  if (left.length > 0) problems.push(`leftovers not swept: ${left.join(', ')}`);
  return problems;
}

export interface TrialOutcome {
  op: CrashOp;
  killAfterMs: number;
  /** the op ended on its own before the kill (then all of it must be there) */
  finished: boolean;
  problems: string[];
  seconds: number;
}

/** One trial on a fresh copy of the base workspace. */
export async function crashTrial(base: CrashBase, op: CrashOp, killAfterMs: number, n: number): Promise<TrialOutcome> {
  const t0 = performance.now();
  const dir = join(base.root, `trial-${n}`);
  const out = join(base.root, `trial-${n}-prediction.nii.gz`);
  rmSync(dir, { recursive: true, force: true });
  cpSync(base.workspace, dir, { recursive: true });
  const seed = Workspace.open(dir, { create: false });
  const before = holdings(seed);
  seed.close();
  let finished = false;
  let acknowledged: (workspace: Workspace, problems: string[]) => void = () => {};
  const touched = new Set<string>();
  const series = base.series;
  if (op === 'annotate') {
    const saves = await annotateUntilKilled(dir, base, killAfterMs);
    for (const k of saves.sent.keys()) touched.add(`${series.id}#${k}`);
    acknowledged = (workspace, problems) => {
      const record = workspace.requireSeries(series.id);
      for (const [k, sent] of saves.sent) {
        const stored = readSliceAnnotations(workspace, record).find((a) => a.index === k);
        const painted = stored ? stored.labels.reduce((n, v) => n + (v === 500 ? 1 : 0), 0) : 0;
        const acked = saves.acked.get(k);
        if (acked !== undefined && !(painted >= acked && sent.has(painted)))
          problems.push(`slice ${k}: save ${acked} was acknowledged, the workspace holds ${painted ? `save ${painted}` : 'none'}`);
      }
    };
  } else {
    const args: Record<Exclude<CrashOp, 'annotate'>, string[]> = {
      import: ['import', base.importSource, '--workspace', dir, '--json'],
      pretrain: ['pretrain', '--workspace', dir, ...TRAINING, '--epochs', '3', '--name', 'pre-crash', '--json'],
      finetune: ['finetune', '--workspace', dir, '--name', 'seg-crash', '--init', 'pre', '--epochs', '3', '--backend', 'wasm', '--json'],
      predict: ['predict', '--workspace', dir, '--model', 'seg', '--series', series.id, '--out', out, '--backend', 'wasm', '--json'],
    };
    const run = await runCli(args[op], { killAfterMs });
    finished = !run.killed;
    if (finished && run.code !== 0)
      return { op, killAfterMs, finished, problems: [`exited ${run.code}: ${run.stderr.slice(-500)}`], seconds: 0 };
    acknowledged = (workspace, problems) => {
      if (!finished) return;
      const done: Record<Exclude<CrashOp, 'annotate'>, () => boolean> = {
        import: () => workspace.listSeries().length === 2,
        pretrain: () => (workspace.getModel('pre-crash')?.meta as { complete?: boolean } | undefined)?.complete === true,
        finetune: () => workspace.getModel('seg-crash') !== undefined,
        predict: () => readPrediction(workspace, workspace.requireSeries(series.id), 'seg') !== null && readsAsNifti(out),
      };
      if (!done[op]()) problems.push(`${op} finished (exit 0) but its result is not in the workspace`);
    };
  }
  const problems = checkWorkspace(dir, before, acknowledged, touched);
  if (op === 'predict' && existsSync(out) && !readsAsNifti(out)) problems.push(`--out ${out} is torn`);
  rmSync(dir, { recursive: true, force: true });
  rmSync(out, { force: true });
  return { op, killAfterMs, finished, problems, seconds: Math.round((performance.now() - t0) / 100) / 10 };
}

function readsAsNifti(path: string): boolean {
  try {
    readNifti(gunzipSync(readFileSync(path)));
    return true;
  } catch {
    return false;
  }
}

/**
 * Saves strokes through serve's API as fast as they are answered (save v of a slice paints
 * v pixels with label 500), and kills serve with SIGKILL `killAfterMs` after the first.
 */
async function annotateUntilKilled(dir: string, base: CrashBase, killAfterMs: number) {
  const { id, rows, cols, slices } = base.series;
  const sent = new Map<number, Set<number>>();
  const acked = new Map<number, number>();
  const server = await startServeProcess(dir);
  try {
    const client = await openApiClient(server);
    // a call in flight when serve dies is never answered: the closed connection ends the loop
    const closed = new Promise<never>((_, reject) => client.socket.once('close', () => reject(new Error('serve is gone'))));
    closed.catch(() => {});
    const timer = setTimeout(() => server.process.kill('SIGKILL'), killAfterMs);
    try {
      for (let v = 1; v < rows * cols; v++) {
        const k = v % slices;
        const mask = new Uint16Array(rows * cols).fill(500, 0, v);
        if (!sent.has(k)) sent.set(k, new Set());
        sent.get(k)!.add(v);
        const params = JSON.parse(JSON.stringify([id, k, new Uint8Array(mask.buffer)], encodeBytes)) as unknown[];
        await Promise.race([client.call('saveAnnotation', params), closed]);
        acked.set(k, v);
      }
    } catch {
      // the connection died with serve: the kill
    } finally {
      clearTimeout(timer);
      client.socket.terminate();
    }
  } finally {
    server.process.kill('SIGKILL');
    await server.stop();
  }
  return { sent, acked };
}

/**
 * Disk full in the middle of a write: the workspace (a copy of the base) on a small tmpfs
 * with `freeKib` left (enough to open it: over 1 MiB), then an import of a series larger
 * than that, or a pre-training whose second checkpoint does not fit beside the first. The
 * command must exit 2 naming the folder and ENOSPC, and the workspace, copied out
 * afterwards, must pass the crash checks; with space freed, a pre-training resumes.
 */
export async function diskFullTrial(
  base: CrashBase,
  what: 'import' | 'checkpoint',
  launcherFor: (mount: string, kib: number, leaveKib: number) => string[],
) {
  const dir = join(base.root, `full-${what}`);
  const mount = join(dir, 'ws');
  mkdirSync(mount, { recursive: true });
  const seed = Workspace.open(base.workspace, { create: false });
  const before = holdings(seed);
  seed.close();
  const used = Math.ceil(
    readdirSync(base.workspace, { recursive: true })
      .map(String)
      .reduce((n, f) => n + statSync(join(base.workspace, f)).size, 0) / 1024,
  );
  const checkpointKib = Math.ceil(statSync(join(base.workspace, 'models', 'pre', 'checkpoint.bin')).size / 1024);
  const leaveKib = what === 'import' ? 1200 : Math.max(1200, Math.round(checkpointKib * 1.5));
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const ssmtl = `${q(process.execPath)} ${q(CLI)}`;
  const op =
    what === 'import'
      ? `${ssmtl} import ${q(base.largeSource)} --workspace "$W" --json`
      : `${ssmtl} pretrain --workspace "$W" ${TRAINING.join(' ')} --epochs 3 --name full --json`;
  const script = [
    `W=${q(mount)}; O=${q(dir)}`,
    `${op} > "$O/op.out" 2> "$O/op.err"; echo $? > "$O/op.code"`,
    'rm -f "$W/.filler"',
    'cp -a "$W" "$O/after"',
    ...(what === 'checkpoint'
      ? [
          // space freed: the disk grows to four times its size
          `mount -o remount,size=${4 * (used + leaveKib + 512)}k "$W"`,
          `${ssmtl} pretrain --workspace "$W" --name full --resume --json > "$O/resume.out" 2> "$O/resume.err"; echo $? > "$O/resume.code"`,
        ]
      : []),
  ].join('\n');
  const launcher = launcherFor(mount, used + leaveKib + 512, leaveKib);
  await new Promise((resolve) =>
    spawn(launcher[0], [...launcher.slice(1), 'sh', '-c', script], { stdio: 'ignore', env: { ...process.env, SSMTL_QUIET: '1' } }).once(
      'close',
      resolve,
    ),
  );
  const read = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : '');
  const result = {
    code: Number(read('op.code').trim()),
    stderr: read('op.err'),
    resumeCode: what === 'checkpoint' ? Number(read('resume.code').trim()) : null,
    resumeStderr: read('resume.err'),
    checkpointKib,
    problems: existsSync(join(dir, 'after')) ? checkWorkspace(join(dir, 'after'), before) : ['the workspace was not copied out'],
  };
  rmSync(dir, { recursive: true, force: true });
  return result;
}
