import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticVolume, writeNifti } from '../src/engine/node/test-fixtures.ts';
import { killParentTrial, problemsOf, type KillTrial } from './helpers/kill-parent-trial.ts';

/**
 * A pre-training whose parent is killed with SIGKILL (a crash of `ssmtl pretrain` or of
 * `ssmtl serve`) at a random moment of its first seconds: the orphaned job process must
 * cancel its run, which writes a checkpoint (in the first epoch too), exit 0 without a
 * word (no EPIPE, no stack, no minified library code), and `--resume` must continue the
 * run to its end. bench/crash-orphans.ts runs many more such trials.
 */
const RUN = { size: 32, width: 4, batch: 4, t: 2, epochs: 12 };
/** A moment after the job reported its start, in ms: in its first epoch or a little later. */
const randomMoment = () => Math.round(Math.random() * 1500);

let root = '';
let workspace = '';

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'ssmtl-orphans-'));
  const volumes = join(root, 'volumes');
  mkdirSync(volumes);
  // 40 slices, t = 2, batch 4: 9 steps an epoch.
  writeNifti(join(volumes, 'a.nii'), syntheticVolume(40, 32, 32, 1), 40, 32, 32);
  workspace = join(root, 'ws');
  const imported = spawnSync(process.execPath, [resolve('bin/ssmtl.mjs'), 'import', volumes, '--workspace', workspace, '--json'], {
    env: { ...process.env, SSMTL_QUIET: '1' },
    encoding: 'utf8',
  });
  expect(imported.status, imported.stderr).toBe(0);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a job whose parent is killed with SIGKILL', () => {
  it('ssmtl pretrain killed as training starts: the job checkpoints its first epoch, exits 0 quietly, --resume finishes the run', async () => {
    const trial: KillTrial = { parent: 'pretrain', workspace, name: 'cli-first-epoch', killAfterMs: 0, ...RUN };
    const outcome = await killParentTrial(trial);
    expect(problemsOf(outcome, trial), JSON.stringify({ trial, outcome })).toEqual([]);
    expect(outcome.checkpoint?.epoch).toBe(0);
  }, 300_000);

  it('ssmtl pretrain killed at a random moment: the same', async () => {
    const trial: KillTrial = { parent: 'pretrain', workspace, name: 'cli-random', killAfterMs: randomMoment(), ...RUN };
    const outcome = await killParentTrial(trial);
    expect(problemsOf(outcome, trial), JSON.stringify({ trial, outcome })).toEqual([]);
  }, 300_000);

  it('ssmtl serve with a pre-training started from the interface: the same', async () => {
    const trial: KillTrial = { parent: 'serve', workspace, name: 'serve-1', killAfterMs: randomMoment(), ...RUN };
    const outcome = await killParentTrial(trial);
    expect(problemsOf(outcome, trial), JSON.stringify({ trial, outcome })).toEqual([]);
  }, 600_000);
});
