import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBytes } from '../src/shared/rpc.ts';
import {
  asNobody,
  canDropToNobody,
  canMountPrivately,
  fullDisk,
  readOnlyMount,
  removeTree,
  sharedTempDir,
} from './helpers/restricted-storage.ts';
import { openApiClient, startServeProcess } from './helpers/start-serve-process.ts';
import { TRAINING } from './helpers/crash-trials.ts';

/**
 * A workspace on a read-only file system, one this user may not write, and one on a full
 * disk. Reading commands (info, evaluate, predict with --out elsewhere) and `serve` work
 * read-only and write nothing there (the interface says it is read-only); writing
 * commands exit 2 with one line naming the folder and the cause. Was: "internal error:
 * unable to open database file" (exit 1), even for `info`.
 */
const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'bin', 'ssmtl.mjs');
if (!canMountPrivately) console.warn('unwritable-workspace: skipped: `unshare -rm` (mount namespaces) is not permitted here');

/** Runs the CLI (asynchronously: a blocked worker misses vitest's heartbeats on a loaded machine). */
async function cli(launcher: string[], ...args: string[]) {
  const [command, ...rest] = [...launcher, process.execPath, CLI, ...args];
  const child = spawn(command, rest, { env: { ...process.env, SSMTL_QUIET: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, stdout, stderr, json: () => JSON.parse(stdout) as Record<string, unknown> };
}

/** One line on stderr, starting with `start` and going on with what to do. */
function expectOneLine(stderr: string, start: string): void {
  expect(stderr.startsWith(start), stderr).toBe(true);
  expect(stderr.slice(start.length)).toMatch(/^[^\n]{20,}\n$/);
}

describe.skipIf(!canMountPrivately)('a workspace that cannot be written', () => {
  const dir = sharedTempDir('ssmtl-unwritable-');
  const ws = join(dir, 'ws');
  const out = join(dir, 'out');
  let series: { id: string; dicom: string; labels: string };

  beforeAll(async () => {
    const sample = await cli([], 'sample', '--out', join(dir, 'sample'), '--subjects', '2', '--slices', '12', '--size', '32', '--json');
    expect(sample.code, sample.stderr).toBe(0);
    const [first, second] = sample.json().series as { id: string; dicom: string; labels: string }[];
    series = first;
    expect((await cli([], 'import', first.dicom, '--workspace', ws, '--json')).code).toBe(0);
    const annotate = await cli(
      [],
      'annotations',
      'import',
      '--workspace',
      ws,
      '--series',
      first.id,
      '--labels',
      first.labels,
      '--slices',
      '2',
    );
    expect(annotate.code, annotate.stderr).toBe(0);
    const pretrain = await cli([], 'pretrain', '--workspace', ws, ...TRAINING, '--epochs', '1', '--name', 'pre', '--json');
    expect(pretrain.code, pretrain.stderr).toBe(0);
    const finetune = await cli([], 'finetune', '--workspace', ws, '--name', 'seg', '--init', 'pre', '--epochs', '1', '--backend', 'wasm');
    expect(finetune.code, finetune.stderr).toBe(0);
    cpSync(second.dicom, join(dir, 'second'), { recursive: true });
  }, 600_000);

  afterAll(() => removeTree(dir));

  const listing = () => readdirSync(ws, { recursive: true }).map(String).sort();

  describe('on a read-only file system (EROFS)', () => {
    const ro = () => readOnlyMount(ws);

    it('info lists it, writing nothing', async () => {
      const before = { files: listing(), catalogue: readFileSync(join(ws, 'catalogue.sqlite')) };
      const info = await cli(ro(), 'info', '--workspace', ws, '--json');
      expect(info.code, info.stderr).toBe(0);
      expect((info.json().series as { id: string; annotatedSlices: number[] }[]).map((s) => [s.id, s.annotatedSlices.length])).toEqual([
        [series.id, 2],
      ]);
      expect(listing()).toEqual(before.files);
      expect(readFileSync(join(ws, 'catalogue.sqlite')).equals(before.catalogue)).toBe(true);
    });

    it('predict segments and exports to a writable folder, storing nothing in the workspace', async () => {
      mkdirSync(out, { recursive: true });
      const args = ['--workspace', ws, '--model', 'seg', '--series', series.id, '--out', join(out, 'p.nii.gz'), '--backend', 'wasm'];
      const predict = await cli(ro(), 'predict', ...args, '--json');
      expect(predict.code, predict.stderr).toBe(0);
      expect(predict.json()).toMatchObject({ stored: false, readOnly: expect.stringContaining('EROFS') });
      expect(existsSync(join(out, 'p.nii.gz'))).toBe(true);
    }, 120_000);

    it.each([
      ['import', () => ['import', join(dir, 'second'), '--workspace', ws]],
      ['pretrain', () => ['pretrain', '--workspace', ws, '--size', '32', '--width', '4', '--epochs', '1']],
      [
        'annotations import',
        () => ['annotations', 'import', '--workspace', ws, '--series', series.id, '--labels', series.labels, '--slices', '1'],
      ],
      ['finetune', () => ['finetune', '--workspace', ws, '--name', 'seg2', '--init', 'none', '--epochs', '1']],
    ])(
      '%s exits 2 naming the folder and the cause',
      async (name, args) => {
        const run = await cli(ro(), ...args());
        expect(run.code, run.stderr).toBe(2);
        expectOneLine(run.stderr, `ssmtl ${name}: cannot write to ${ws}: the file system is read-only (EROFS); `);
      },
      60_000,
    );

    it('serve shows it read-only: everything reads, a save is refused naming the cause', async () => {
      const server = await startServeProcess(ws, undefined, undefined, ro());
      try {
        const client = await openApiClient(server);
        expect(await client.call('workspace')).toMatchObject({ exists: true, readOnly: expect.stringContaining('EROFS') });
        expect(((await client.call('listSeries')) as { id: string }[]).map((s) => s.id)).toEqual([series.id]);
        const mask = new Uint16Array(32 * 32).fill(500, 0, 64);
        const save = JSON.parse(JSON.stringify([series.id, 3, new Uint8Array(mask.buffer)], encodeBytes)) as unknown[];
        const refused = (await client.call('saveAnnotation', save).catch((e: Error) => e)) as Error;
        expect(
          refused.message.startsWith(`cannot write to ${ws}`) && refused.message.includes(': the file system is read-only (EROFS); '),
        ).toBe(true);
        client.socket.close();
      } finally {
        await server.stop();
      }
      expect(server.stderr()).not.toMatch(/internal error|unable to open/);
    }, 60_000);

    it('shows what a killed process committed (its -wal file) too', async () => {
      const killed = join(dir, 'killed');
      cpSync(ws, killed, { recursive: true });
      // a process that commits a model row and dies with the catalogue open leaves -wal and -shm
      const script = `const D = require(${JSON.stringify(join(ROOT, 'node_modules', 'better-sqlite3'))}); const db = new D(${JSON.stringify(join(killed, 'catalogue.sqlite'))});
        db.prepare("INSERT INTO models (name, kind, method, created_at, meta) VALUES ('after-kill', 'pretrained', 'ssmtl', 'now', '{}')").run();
        process.kill(process.pid, 'SIGKILL');`;
      spawnSync(process.execPath, ['-e', script]);
      expect(existsSync(join(killed, 'catalogue.sqlite-wal'))).toBe(true);
      const info = await cli(readOnlyMount(killed), 'info', '--workspace', killed, '--json');
      expect(info.code, info.stderr).toBe(0);
      expect((info.json().models as { name: string }[]).map((m) => m.name)).toContain('after-kill');
    });
  });

  describe.skipIf(!canDropToNobody)('without write permission (EACCES)', () => {
    it('info works; import exits 2 naming the folder and the cause', async () => {
      const locked = join(dir, 'locked');
      cpSync(ws, locked, { recursive: true });
      spawnSync('chmod', ['-R', 'a-w,a+rX', locked]);
      const info = await cli(asNobody, 'info', '--workspace', locked, '--json');
      expect(info.code, info.stderr).toBe(0);
      expect((info.json().series as unknown[]).length).toBe(1);
      const run = await cli(asNobody, 'import', join(dir, 'second'), '--workspace', locked);
      expect(run.code, run.stderr).toBe(2);
      expectOneLine(run.stderr, `ssmtl import: cannot write to ${locked}: no permission to write there (EACCES); `);
    });
  });

  describe('on a full disk (ENOSPC)', () => {
    it('info works; import exits 2 naming the folder and the cause', async () => {
      const full = join(dir, 'full');
      const used = Number(spawnSync('du', ['-sk', ws], { encoding: 'utf8' }).stdout.split('\t')[0]);
      const launcher = () => fullDisk(full, used + 2048, { source: ws, leaveKib: 64 });
      spawnSync('mkdir', ['-p', full]);
      const info = await cli(launcher(), 'info', '--workspace', full, '--json');
      expect(info.code, info.stderr).toBe(0);
      expect((info.json().series as unknown[]).length).toBe(1);
      const run = await cli(launcher(), 'import', join(dir, 'second'), '--workspace', full);
      expect(run.code, run.stderr).toBe(2);
      expectOneLine(run.stderr, `ssmtl import: cannot write to ${full}: the disk is full (ENOSPC); `);
    });
  });
});

describe.skipIf(process.platform !== 'linux')('a workspace inside a kernel file system', () => {
  it('import refuses /proc at once, exit 2 (Node’s recursive mkdir never returned there)', async () => {
    const run = await cli(
      ['timeout', '60'],
      'import',
      join(ROOT, 'tests', 'fixtures', 'real', 'CT_small.dcm'),
      '--workspace',
      '/proc/ssmtl-nothing/workspace',
    );
    expect(run.code, run.stderr).toBe(2);
    expectOneLine(run.stderr, 'ssmtl import: --workspace /proc/ssmtl-nothing/workspace is inside /proc, ');
  }, 90_000);
});
