import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testUid, writeDicom } from './helpers/write-dicom.ts';

const root = join(import.meta.dirname, '..');
const real = join(root, 'tests/fixtures/real');

/** Runs `ssmtl` as a user would, through the package's bin entry. */
function ssmtl(...args: string[]) {
  const result = spawnSync(process.execPath, [join(root, 'bin/ssmtl.mjs'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, SSMTL_QUIET: '1' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'ssmtl-cli-'));
}

describe('ssmtl scan / import / info on real scans', () => {
  it('imports a real CT and MR and reports the same HU statistics as pydicom', () => {
    const data = scratch();
    copyFileSync(join(real, 'CT_small.dcm'), join(data, 'renamed-ct'));
    mkdirSync(join(data, 'deeper/still'), { recursive: true });
    copyFileSync(join(real, 'MR_small.dcm'), join(data, 'deeper/still/IMG0001'));

    const scan = ssmtl('scan', data, '--json');
    expect(scan.code).toBe(0);
    const scanned = JSON.parse(scan.stdout);
    expect(scanned.series.map((s: { modality: string }) => s.modality).sort()).toEqual(['CT', 'MR']);

    const workspace = join(scratch(), 'ws');
    const imported = ssmtl('import', data, '--workspace', workspace, '--json');
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout).imported).toHaveLength(2);

    // pydicom 2.3 with apply_modality_lut on the same files
    const truth = {
      '1.3.6.1.4.1.5962.1.3.1.1.20040119072730.12322': { mean: -119.0738525390625, min: -896, max: 1167, modality: 'CT' },
      '1.3.6.1.4.1.5962.1.3.4.1.20040826185059.5457': { mean: 518.88134765625, min: 127, max: 2145, modality: 'MR' },
    };
    for (const [id, expected] of Object.entries(truth)) {
      const info = ssmtl('info', '--workspace', workspace, '--series', id, '--json');
      expect(info.code).toBe(0);
      const [series] = JSON.parse(info.stdout).series;
      expect(series).toMatchObject({ id, format: 'dicom', modality: expected.modality, slices: 1, annotatedSlices: [] });
      expect(series.stats[0].mean).toBeCloseTo(expected.mean, 3);
      expect(series.stats[0]).toMatchObject({ index: 0, min: expected.min, max: expected.max });
    }
    const all = JSON.parse(ssmtl('info', '--workspace', workspace, '--json').stdout);
    expect(all.series).toHaveLength(2);
    expect(all.series[0].stats).toBeUndefined();
    expect(all.models).toEqual([]);
  });
});

describe('ssmtl exit codes and messages', () => {
  it('exits 2 with one line naming the problem, never a stack trace', () => {
    const cases = [
      { args: ['scan'], message: /give at least one file or folder/ },
      { args: ['scan', '/no/such/place'], message: /\/no\/such\/place: no such file or folder/ },
      { args: ['scan', '--bogus', '.'], message: /Unknown option '--bogus'/ },
      { args: ['frobnicate'], message: /unknown command 'frobnicate'/ },
      { args: ['import', real], message: /--workspace is required/ },
      { args: ['info', '--workspace', scratch()], message: /is not an SSMTL workspace/ },
      { args: ['import', real, '--workspace', scratch(), '--series', '1.2.3'], message: /--series 1\.2\.3 is not among the/ },
    ];
    for (const { args, message } of cases) {
      const result = ssmtl(...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('prints a readable summary without --json', () => {
    const result = ssmtl('scan', join(real, 'CT_small.dcm'), join(real, 'rtplan.dcm'));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/1 series found/);
    expect(result.stdout).toMatch(/rtplan\.dcm: RT Plan/);
  });
});

describe('a kill -9 in the middle of an import', () => {
  it('leaves a consistent workspace, and running import again completes it', async () => {
    const data = scratch();
    for (const series of [0, 1, 2]) {
      const seriesUid = testUid();
      for (let k = 0; k < 120; k++) {
        writeFileSync(
          join(data, `s${series}-${k}.dcm`),
          writeDicom({ seriesUid, position: [0, 0, k], rows: 256, cols: 256, pixels: new Int16Array(256 * 256).fill(k) }),
        );
      }
    }
    const workspace = join(scratch(), 'ws');
    const child = spawn(process.execPath, [join(root, 'bin/ssmtl.mjs'), 'import', data, '--workspace', workspace], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    // Kill as soon as a pixel file is being written: mid-series, by construction.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const seriesDir = join(workspace, 'series');
      if (existsSync(seriesDir) && readdirSync(seriesDir, { recursive: true }).some((f) => String(f).endsWith('.partial'))) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill('SIGKILL');
    await exited;

    const after = JSON.parse(ssmtl('info', '--workspace', workspace, '--json').stdout);
    // Whatever is listed is whole; the kill came while a pixel file was open, so not all three are there.
    for (const series of after.series) expect(series.slices).toBe(120);
    expect(after.series.length).toBeLessThan(3);

    const again = ssmtl('import', data, '--workspace', workspace, '--json');
    expect(again.code).toBe(0);
    const final = JSON.parse(ssmtl('info', '--workspace', workspace, '--json').stdout);
    expect(final.series.map((s: { slices: number }) => s.slices)).toEqual([120, 120, 120]);
    expect(readdirSync(join(workspace, 'series'), { recursive: true }).filter((f) => String(f).endsWith('.partial'))).toEqual([]);
    const stats = JSON.parse(ssmtl('info', '--workspace', workspace, '--series', final.series[0].id, '--json').stdout).series[0].stats;
    expect(stats.map((s: { mean: number }) => s.mean)).toEqual(Array.from({ length: 120 }, (_, k) => k));
  });
});
