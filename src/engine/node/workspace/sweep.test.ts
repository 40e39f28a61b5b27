import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticVolume, writeNifti } from '../test-fixtures.ts';
import { Workspace } from './workspace.ts';

/**
 * Leftovers of killed processes are swept when a workspace opens (if it can be written),
 * and `info` says how many files and bytes went. Was: a killed import's 59 MB
 * `pixels-*.partial` stayed until that series was imported again, and every kill during
 * a save left a label map nobody referenced.
 */
const CLI = join(import.meta.dirname, '..', '..', '..', '..', 'bin', 'ssmtl.mjs');

function cli(...args: string[]) {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, SSMTL_QUIET: '1' } });
  return { code: run.status, stderr: run.stderr, json: () => JSON.parse(run.stdout) as Record<string, unknown> };
}

const filesIn = (dir: string) => readdirSync(dir, { recursive: true }).map(String);

describe('sweeping leftovers when a workspace opens', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ssmtl-sweep-'));
  const ws = join(dir, 'ws');

  beforeAll(() => {
    mkdirSync(join(dir, 'small'));
    writeNifti(join(dir, 'small', 'a.nii'), syntheticVolume(8, 16, 16, 1), 8, 16, 16);
    expect(cli('import', join(dir, 'small'), '--workspace', ws, '--json').code).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("removes a killed import's partial pixel file; info says what went", async () => {
    mkdirSync(join(dir, 'big'));
    writeNifti(join(dir, 'big', 'b.nii'), syntheticVolume(200, 256, 256, 2), 200, 256, 256);
    const importing = spawn(process.execPath, [CLI, 'import', join(dir, 'big'), '--workspace', ws], { stdio: 'ignore' });
    const partial = () => filesIn(join(ws, 'series')).find((f) => f.endsWith('.partial'));
    const written = () => {
      const file = partial();
      return file ? (statSync(join(ws, 'series', file), { throwIfNoEntry: false })?.size ?? 0) : 0;
    };
    // killed once some slices are written, as a clinician's Ctrl-C or a crash would
    const deadline = Date.now() + 60_000;
    while (written() < 1e6 && Date.now() < deadline && importing.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    expect(written(), 'the import never wrote pixels').toBeGreaterThanOrEqual(1e6);
    importing.kill('SIGKILL');
    await new Promise((resolve) => importing.once('exit', resolve));
    expect(partial()).toBeDefined();

    const info = cli('info', '--workspace', ws, '--json');
    expect(info.code, info.stderr).toBe(0);
    const swept = info.json().swept as { files: number; bytes: number };
    expect(swept.files).toBeGreaterThanOrEqual(1);
    expect(swept.bytes).toBeGreaterThan(0);
    expect(partial()).toBeUndefined();
    expect((info.json().series as unknown[]).length).toBe(1);
    expect(cli('info', '--workspace', ws, '--json').json().swept).toEqual({ files: 0, bytes: 0 });
  }, 120_000);

  it('removes what dead writers left and nothing that is referenced or whose writer runs', () => {
    // A process writes what a kill at each moment would leave (names carry its pid), then dies.
    const leftovers = [
      join('annotations', 'f00d', 'slice-3-pPID-0123456789ab.u16'),
      join('predictions', 'f00d', 'seg-pPID-0123456789ab.u16'),
      join('series', 'f00d', 'pixels-0123456789ab-pPID.int16'),
      join('series', 'f00d', 'pixels-pPID-0123456789ab.partial'),
      join('models', 'pre', 'checkpoint.bin.tmp-PID'),
      join('models', 'seg', 'seg-weights-pPID-0123456789ab.bin'),
      join('exports', 'x.nii.gz.tmp-PID'),
      join('sources', 'pacs', '.incoming-PID-0123456789ab', '0', 'a.dcm'),
    ];
    const script = `const fs = require('fs'), path = require('path');
      for (const f of ${JSON.stringify(leftovers)}) { const p = path.join(${JSON.stringify(ws)}, f.replaceAll('PID', process.pid));
        fs.mkdirSync(path.dirname(p), { recursive: true }); fs.writeFileSync(p, Buffer.alloc(1000)); }
      process.kill(process.pid, 'SIGKILL');`;
    spawnSync(process.execPath, ['-e', script]);
    // the same leftovers of a writer still running (this process) stay, as do files the catalogue references
    const live = leftovers.map((f) => join(ws, f.replaceAll('PID', String(process.pid))));
    for (const p of live) {
      mkdirSync(join(p, '..'), { recursive: true });
      writeFileSync(p, 'in flight');
    }
    const referenced = filesIn(ws).filter((f) => /pixels-.*\.int16$/.test(f) && !f.includes('f00d'));

    const workspace = Workspace.open(ws, { create: false });
    try {
      expect(workspace.swept).toEqual({ files: leftovers.length, bytes: leftovers.length * 1000 });
      expect(live.filter((p) => !existsSync(p))).toEqual([]);
      expect(referenced.filter((f) => !existsSync(join(ws, f)))).toEqual([]);
      expect(workspace.readSlice(workspace.listSeries()[0].id, 0)).toHaveLength(16 * 16);
    } finally {
      workspace.close();
    }
  });
});
