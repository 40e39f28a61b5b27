/**
 * Crash trials: kill -9 (the command and every process it started) at random moments of
 * an import, a pre-training, annotation saves through serve's API, a fine-tuning and a
 * prediction, each on a fresh copy of a prepared workspace, and check after each that the
 * workspace opens, PRAGMA integrity_check is ok, every catalogued file exists and reads,
 * what was there before is intact and everything acknowledged as saved is there
 * (tests/helpers/crash-trials.ts). Then disk full during an import and during a
 * checkpoint write (a small tmpfs in a mount namespace: `unshare -rm`).
 *
 *   npx tsx bench/crash-kill.ts [--trials 100] [--seed 1] [--ops import,pretrain,annotate,finetune,predict] [--no-disk-full] [--json]
 *
 * Prints one line per trial and the tallies; exits 1 if any trial found a problem.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Random } from '../src/engine/random.ts';
import {
  CRASH_OPS,
  KILL_WINDOW_MS,
  crashTrial,
  diskFullTrial,
  prepareCrashBase,
  type CrashOp,
  type TrialOutcome,
} from '../tests/helpers/crash-trials.ts';
import { canMountPrivately, fullDisk } from '../tests/helpers/restricted-storage.ts';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '100' },
    seed: { type: 'string', default: '1' },
    ops: { type: 'string', default: CRASH_OPS.join(',') },
    'no-disk-full': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const trials = Number(values.trials);
const ops = values.ops.split(',') as CrashOp[];
if (!Number.isInteger(trials) || trials < 1 || ops.some((op) => !CRASH_OPS.includes(op))) {
  console.error(`usage: npx tsx bench/crash-kill.ts [--trials N] [--seed S] [--ops ${CRASH_OPS.join(',')}] [--no-disk-full] [--json]`);
  process.exit(2);
}
const random = new Random(Number(values.seed));
const root = mkdtempSync(join(tmpdir(), 'ssmtl-crash-kill-'));
const started = performance.now();
const results: TrialOutcome[] = [];
const diskFull: { what: string; code: number; resumeCode: number | null; problems: string[] }[] = [];
try {
  console.error('preparing the base workspace (sample, import, pre-training, annotations, fine-tuning)…');
  const base = await prepareCrashBase(root);
  for (let n = 1; n <= trials; n++) {
    const op = ops[(n - 1) % ops.length];
    const outcome = await crashTrial(base, op, Math.round(random.next() * KILL_WINDOW_MS[op]), n);
    results.push(outcome);
    console.error(
      `trial ${n}/${trials}: ${op}, kill -9 at ${outcome.killAfterMs} ms${outcome.finished ? ' (finished before)' : ''}: ` +
        `${outcome.problems.length ? `FAILED: ${outcome.problems.join('; ')}` : 'ok'} (${outcome.seconds} s)`,
    );
  }
  if (!values['no-disk-full'] && canMountPrivately) {
    for (const what of ['import', 'checkpoint'] as const) {
      const result = await diskFullTrial(base, what, (mount, kib, leaveKib) => fullDisk(mount, kib, { source: base.workspace, leaveKib }));
      const problems = [...result.problems];
      if (
        result.code !== 2 ||
        !/cannot write to .*: the disk is full \(ENOSPC\)|could not write the checkpoint.*ENOSPC/.test(result.stderr)
      )
        problems.push(`exit ${result.code}: ${result.stderr.trim().slice(-300)}`);
      if (what === 'checkpoint' && result.resumeCode !== 0)
        problems.push(`--resume after freeing space exited ${result.resumeCode}: ${result.resumeStderr.trim().slice(-300)}`);
      diskFull.push({ what, code: result.code, resumeCode: result.resumeCode, problems });
      console.error(
        `disk full during ${what}: exit ${result.code}, ${result.stderr.trim().split('\n').at(-1)}: ${problems.length ? `FAILED: ${problems.join('; ')}` : 'ok'}`,
      );
    }
  } else if (!values['no-disk-full']) console.error('disk full: skipped (`unshare -rm` is not permitted here)');
} finally {
  rmSync(root, { recursive: true, force: true });
}

const tally = Object.fromEntries(
  ops.map((op) => {
    const mine = results.filter((r) => r.op === op);
    return [
      op,
      {
        trials: mine.length,
        killed: mine.filter((r) => !r.finished).length,
        finished: mine.filter((r) => r.finished).length,
        failed: mine.filter((r) => r.problems.length).length,
      },
    ];
  }),
);
const failed = results.filter((r) => r.problems.length).length + diskFull.filter((d) => d.problems.length).length;
const summary = { trials: results.length, failed, seconds: Math.round((performance.now() - started) / 1000), perOp: tally, diskFull };
if (values.json) console.log(JSON.stringify(summary));
else {
  console.log(`${results.length} trials, ${failed} failed, ${summary.seconds} s`);
  for (const [op, t] of Object.entries(tally))
    console.log(`  ${op}: ${t.trials} trials (${t.killed} killed mid-way, ${t.finished} finished first), ${t.failed} failed`);
  for (const d of diskFull)
    console.log(
      `  disk full during ${d.what}: exit ${d.code}${d.resumeCode !== null ? `, resume exit ${d.resumeCode}` : ''}, ${d.problems.length ? 'FAILED' : 'ok'}`,
    );
}
process.exit(failed > 0 ? 1 : 0);
