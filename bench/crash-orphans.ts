/**
 * Crash trials: kill -9 of a pre-training's parent (`ssmtl pretrain`, or `ssmtl serve`
 * with a pre-training started from its API) at random moments of the run's first
 * seconds, and check that the orphaned job checkpointed, exited 0 without a word, and
 * that `--resume` finishes the run (tests/helpers/kill-parent-trial.ts). Linux only
 * (the orphans are seen through a python3 subreaper).
 *
 *   npx tsx bench/crash-orphans.ts [--trials 20] [--max-delay-ms 3000] [--parents pretrain,serve] [--json]
 *
 * Prints one line per trial and a tally; exits 1 if any trial failed.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { syntheticVolume, writeNifti } from '../src/engine/node/test-fixtures.ts';
import { killParentTrial, problemsOf, type KillTrial } from '../tests/helpers/kill-parent-trial.ts';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '20' },
    'max-delay-ms': { type: 'string', default: '3000' },
    parents: { type: 'string', default: 'pretrain,serve' },
    json: { type: 'boolean', default: false },
  },
});
const trials = Number(values.trials);
const maxDelayMs = Number(values['max-delay-ms']);
const parents = values.parents.split(',') as KillTrial['parent'][];
if (!Number.isInteger(trials) || trials < 1 || !(maxDelayMs >= 0) || parents.some((p) => p !== 'pretrain' && p !== 'serve')) {
  console.error('usage: npx tsx bench/crash-orphans.ts [--trials N] [--max-delay-ms MS] [--parents pretrain,serve] [--json]');
  process.exit(2);
}

const root = mkdtempSync(join(tmpdir(), 'ssmtl-crash-orphans-'));
const workspace = join(root, 'ws');
mkdirSync(join(root, 'volumes'));
writeNifti(join(root, 'volumes', 'a.nii'), syntheticVolume(40, 32, 32, 1), 40, 32, 32);
const imported = spawnSync(
  process.execPath,
  [join(import.meta.dirname, '..', 'bin', 'ssmtl.mjs'), 'import', join(root, 'volumes'), '--workspace', workspace, '--json'],
  {
    encoding: 'utf8',
    env: { ...process.env, SSMTL_QUIET: '1' },
  },
);
if (imported.status !== 0) throw new Error(`import failed: ${imported.stderr}`);

const results: { trial: KillTrial; problems: string[]; checkpointEpoch: number | null; seconds: number }[] = [];
try {
  for (let n = 1; n <= trials; n++) {
    const parent = parents[(n - 1) % parents.length];
    const trial: KillTrial = {
      parent,
      workspace,
      name: `${parent}-${n}`,
      killAfterMs: Math.round(Math.random() * maxDelayMs),
      size: 32,
      width: 4,
      batch: 4,
      t: 2,
      epochs: 12,
    };
    const t0 = performance.now();
    let problems: string[];
    let checkpointEpoch: number | null = null;
    try {
      const outcome = await killParentTrial(trial);
      problems = problemsOf(outcome, trial);
      checkpointEpoch = outcome.checkpoint?.epoch ?? null;
    } catch (error) {
      problems = [`the trial itself failed: ${(error as Error).message}`];
    }
    const seconds = Math.round((performance.now() - t0) / 100) / 10;
    results.push({ trial, problems, checkpointEpoch, seconds });
    console.error(
      `trial ${n}/${trials}: kill -9 of ${parent} ${trial.killAfterMs} ms after the start` +
        ` → checkpoint at epoch ${checkpointEpoch === null ? '–' : checkpointEpoch + 1}: ${problems.length ? `FAILED: ${problems.join('; ')}` : 'ok'} (${seconds} s)`,
    );
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
const failed = results.filter((r) => r.problems.length > 0);
const summary = {
  trials: results.length,
  passed: results.length - failed.length,
  failed: failed.map((r) => ({ parent: r.trial.parent, killAfterMs: r.trial.killAfterMs, problems: r.problems })),
  perParent: Object.fromEntries(
    parents.map((p) => [
      p,
      {
        trials: results.filter((r) => r.trial.parent === p).length,
        passed: results.filter((r) => r.trial.parent === p && !r.problems.length).length,
      },
    ]),
  ),
  killedInFirstEpoch: results.filter((r) => r.checkpointEpoch === 0).length,
};
console.log(
  values.json
    ? JSON.stringify(summary)
    : `${summary.passed}/${summary.trials} trials passed (${summary.killedInFirstEpoch} killed in the first epoch)`,
);
process.exit(failed.length ? 1 : 0);
