import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { WebSocket } from 'ws';
import { readCheckpointHeader } from '../../src/engine/node/checkpoint-file.ts';
import { modelFiles } from '../../src/engine/node/workspace/model-state.ts';
import type { JobSummary, PretrainSettings } from '../../src/shared/api.ts';

/**
 * One kill -9 of a pre-training's parent, as a crash would do it: `ssmtl pretrain`, or
 * `ssmtl serve` with a pre-training started from the interface's API. The parent runs
 * under reap-orphans.py, so the orphaned job process is reparented there and its exit
 * status is seen. Then the checkpoint it left is read, and `ssmtl pretrain --resume`
 * continues it. Used by tests/orphan-jobs.test.ts (a few trials) and
 * bench/crash-orphans.ts (many).
 */
const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'ssmtl.mjs');
const REAPER = join(import.meta.dirname, 'reap-orphans.py');
const ENV = { ...process.env, SSMTL_QUIET: '1' };

export interface KillTrial {
  parent: 'pretrain' | 'serve';
  workspace: string;
  /** the run's model name (new for each trial) */
  name: string;
  /** after the job reported that training started */
  killAfterMs: number;
  epochs: number;
  /** pre-training settings of a run that lasts a few seconds */
  size: number;
  width: number;
  batch: number;
  t: number;
}

export interface KillTrialOutcome {
  /** how the killed parent ended (SIGKILL: 9) */
  parentSignal: number | null;
  /** every process orphaned by the kill (the job process), with its exit code */
  orphans: { pid: number; code: number | null; signal: number | null }[];
  /** what the orphans (and nothing else: the parent is dead) wrote to stderr after the kill */
  stderrAfterKill: string;
  /** where the checkpoint the job left stands, or null when it left none */
  checkpoint: { epoch: number; step: number; globalStep: number } | null;
  /** `ssmtl pretrain --resume` afterwards */
  resume: { code: number | null; resumed: boolean; epochs: number; lossPerEpoch: number[]; stderr: string };
}

export async function killParentTrial(trial: KillTrial, timeoutMs = 300_000): Promise<KillTrialOutcome> {
  const report = join(trial.workspace, '..', `reaped-${trial.name}.json`);
  const command =
    trial.parent === 'pretrain'
      ? [
          'pretrain',
          '--workspace',
          trial.workspace,
          ...['--size', String(trial.size), '--width', String(trial.width), '--batch', String(trial.batch), '--t', String(trial.t)],
          ...['--epochs', String(trial.epochs), '--backend', 'wasm', '--name', trial.name, '--json'],
        ]
      : ['serve', '--workspace', trial.workspace, '--json'];
  const reaper = spawn('python3', [REAPER, report, '--', process.execPath, BIN, ...command], {
    cwd: ROOT,
    env: ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  reaper.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ended = new Promise<number | null>((resolve) => reaper.once('exit', (code) => resolve(code)));
  const deadline = setTimeout(() => reaper.kill('SIGKILL'), timeoutMs);
  try {
    const started =
      trial.parent === 'pretrain'
        ? waitFor(() => stderr.includes(`pre-training '${trial.name}' on`), ended)
        : startFromInterface(reaper.stdout, trial, ended);
    await started;
    await new Promise((resolve) => setTimeout(resolve, trial.killAfterMs));
    const parentPid = childOf(reaper.pid!);
    const killedAt = stderr.length;
    process.kill(parentPid, 'SIGKILL');
    const code = await ended;
    if (code !== 0) throw new Error(`reap-orphans.py exited ${code}: ${stderr}`);
    const { reaped } = JSON.parse(readFileSync(report, 'utf8')) as {
      reaped: { pid: number; command: boolean; code: number | null; signal: number | null }[];
    };
    const checkpointPath = modelFiles(trial.workspace, trial.name).checkpoint;
    const snapshot = existsSync(checkpointPath)
      ? (readCheckpointHeader(checkpointPath) as unknown as { snapshot: { epoch: number; step: number; globalStep: number } }).snapshot
      : null;
    return {
      parentSignal: reaped.find((r) => r.command)?.signal ?? null,
      orphans: reaped.filter((r) => !r.command).map(({ pid, code, signal }) => ({ pid, code, signal })),
      stderrAfterKill: stderr.slice(killedAt),
      checkpoint: snapshot && { epoch: snapshot.epoch, step: snapshot.step, globalStep: snapshot.globalStep },
      resume: resume(trial),
    };
  } finally {
    clearTimeout(deadline);
    if (reaper.exitCode === null) reaper.kill('SIGKILL');
  }
}

/**
 * What went wrong in a trial, in words (empty: nothing): the parent died of SIGKILL;
 * every orphan (the job process, tsx's esbuild helper) exited 0; they wrote no error
 * (no EPIPE, no stack, no library code) after the kill; the job left a checkpoint; and
 * `--resume` finished the run from it.
 */
export function problemsOf(outcome: KillTrialOutcome, trial: KillTrial): string[] {
  const problems: string[] = [];
  if (outcome.parentSignal !== 9) problems.push(`the parent ended with signal ${outcome.parentSignal}, not SIGKILL`);
  if (outcome.orphans.length === 0) problems.push('no process was orphaned: the job ended with its parent');
  for (const orphan of outcome.orphans)
    if (orphan.code !== 0)
      problems.push(`orphan ${orphan.pid} exited with ${orphan.signal ? `signal ${orphan.signal}` : `code ${orphan.code}`}`);
  if (/error|EPIPE|\bat\b.*:\d+:\d+/i.test(outcome.stderrAfterKill) || outcome.stderrAfterKill.length >= 500)
    problems.push(`stderr after the kill: ${outcome.stderrAfterKill.slice(0, 300)}`);
  if (!outcome.checkpoint) problems.push('no checkpoint was written');
  const { resume } = outcome;
  if (resume.code !== 0) problems.push(`--resume exited ${resume.code}: ${resume.stderr.trim().split('\n').at(-1)}`);
  else if (!resume.resumed || resume.epochs !== trial.epochs || resume.lossPerEpoch.length !== trial.epochs)
    problems.push(`--resume did not finish the run: ${JSON.stringify({ ...resume, stderr: undefined })}`);
  return problems;
}

function resume(trial: KillTrial): KillTrialOutcome['resume'] {
  const r = spawnSync(
    process.execPath,
    [BIN, 'pretrain', '--workspace', trial.workspace, '--name', trial.name, '--resume', '--backend', 'wasm', '--json'],
    { env: ENV, encoding: 'utf8' },
  );
  const out = r.status === 0 ? (JSON.parse(r.stdout) as { resumed: boolean; epochs: number; loss: { perEpoch: number[] } }) : null;
  return {
    code: r.status,
    resumed: out?.resumed ?? false,
    epochs: out?.epochs ?? 0,
    lossPerEpoch: out?.loss.perEpoch ?? [],
    stderr: r.stderr,
  };
}

/** The pid of the one child of `pid` (the parent under the reaper). */
function childOf(pid: number): number {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  if (children.length !== 1) throw new Error(`expected one child of ${pid}, found ${children.length}`);
  return children[0];
}

async function waitFor(condition: () => boolean, ended: Promise<unknown>): Promise<void> {
  let gone = false;
  void ended.then(() => (gone = true));
  while (!condition()) {
    if (gone) throw new Error('the parent ended before the job started');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Starts the pre-training through serve's WebSocket API, as the interface does; resolves once it runs. */
async function startFromInterface(stdout: NodeJS.ReadableStream, trial: KillTrial, ended: Promise<unknown>): Promise<void> {
  const url = await Promise.race([
    new Promise<URL>((resolve) => createInterface({ input: stdout }).once('line', (line) => resolve(new URL(JSON.parse(line).url)))),
    ended.then(() => Promise.reject(new Error('serve ended before printing its URL'))),
  ]);
  const token = url.searchParams.get('token')!;
  const socket = new WebSocket(`ws://${url.host}/api/ws`, { headers: { Origin: url.origin, 'x-ssmtl-token': token } });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const running = new Promise<void>((resolve, reject) =>
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { id?: number; error?: string; event?: { type: string; job?: JobSummary } };
      if (message.error) reject(new Error(message.error));
      const job = message.event?.type === 'job' ? message.event.job : undefined;
      if (job?.kind === 'pretrain' && job.state === 'running') resolve();
    }),
  );
  const settings: PretrainSettings = {
    seriesIds: [],
    method: 'ssmtl',
    t: trial.t,
    epochs: trial.epochs,
    size: trial.size,
    width: trial.width,
    batch: trial.batch,
    backend: 'wasm',
    name: trial.name,
  };
  socket.send(JSON.stringify({ id: 1, method: 'startPretrain', params: [settings] }));
  await Promise.race([running, ended.then(() => Promise.reject(new Error('serve ended before the job started')))]);
  // The socket dies with serve.
  socket.on('error', () => {});
}
