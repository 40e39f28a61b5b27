import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRASH_OPS, KILL_WINDOW_MS, crashTrial, diskFullTrial, prepareCrashBase, type CrashBase } from './helpers/crash-trials.ts';
import { canMountPrivately, fullDisk } from './helpers/restricted-storage.ts';

/**
 * A short, fixed run of bench/crash-kill.ts: one kill -9 in the middle of each operation
 * (import, pre-training, annotation saves through serve, fine-tuning, prediction), then
 * the checks (the workspace opens, integrity_check ok, every catalogued file reads, what
 * was there and what was acknowledged is there, no leftover unswept); and a disk that
 * fills up during an import and during a checkpoint write: exit 2 naming ENOSPC, the
 * previous state intact, and a pre-training that resumes once space is freed.
 */
describe('kill -9 and full disks', () => {
  const root = mkdtempSync(join(tmpdir(), 'ssmtl-crash-test-'));
  let base: CrashBase;
  beforeAll(async () => {
    base = await prepareCrashBase(root);
  }, 300_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each(CRASH_OPS.map((op, n) => [op, n] as const))(
    'a kill during %s loses nothing acknowledged',
    async (op, n) => {
      // fixed moments: well inside each operation's window (the bench draws them at random)
      const outcome = await crashTrial(base, op, Math.round(KILL_WINDOW_MS[op] * 0.4), n);
      expect(outcome.problems).toEqual([]);
    },
    120_000,
  );

  it.skipIf(!canMountPrivately).each(['import', 'checkpoint'] as const)(
    'a disk full during %s: exit 2 naming ENOSPC, the previous state intact',
    async (what) => {
      const result = await diskFullTrial(base, what, (mount, kib, leaveKib) => fullDisk(mount, kib, { source: base.workspace, leaveKib }));
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(
        what === 'import' ? /cannot write to .*: the disk is full \(ENOSPC\)/ : /could not write the checkpoint .*ENOSPC.*--resume/,
      );
      expect(result.stderr.trim().split('\n').at(-1)).toMatch(/^ssmtl (import|pretrain): /);
      expect(result.problems).toEqual([]);
      if (what === 'checkpoint') expect(result.resumeCode, result.resumeStderr).toBe(0);
    },
    180_000,
  );
});
