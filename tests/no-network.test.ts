import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTab } from './helpers/load-clients.ts';
import { startServeProcess } from './helpers/start-serve-process.ts';

/**
 * No network with patient data. The CLI's whole job on the built-in sample (import,
 * pre-train, annotate, fine-tune, predict, export as NIfTI and DICOM SEG, at tiny sizes)
 * runs with a guard in every process it starts (tests/helpers/no-network.mjs: any
 * connect, name lookup, HTTP or fetch is logged and refused) and, where the machine
 * allows it, inside a network namespace with no interface up (`unshare -n`).
 */
const ROOT = join(import.meta.dirname, '..');
const GUARD = join(import.meta.dirname, 'helpers', 'no-network.mjs');
const canUnshare = spawnSync('unshare', ['-n', 'true']).status === 0;
if (!canUnshare)
  console.warn(
    'no-network: the network-namespace run is skipped: `unshare -n` is not permitted on this machine (needs root or user namespaces)',
  );

describe('no network with patient data', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ssmtl-offline-'));
  const log = join(dir, 'network.log');
  const ws = join(dir, 'ws');
  const env = { ...process.env, SSMTL_QUIET: '1', SSMTL_NETWORK_LOG: log, NODE_OPTIONS: `--import ${GUARD}` };
  const results: { command: string; code: number | null; stderr: string }[] = [];

  /** One CLI command, offline: guarded, and in its own network namespace when possible. */
  function offline(...args: string[]) {
    const node = [process.execPath, join(ROOT, 'bin', 'ssmtl.mjs'), ...args];
    const run = canUnshare
      ? spawnSync('unshare', ['-n', ...node], { encoding: 'utf8', env })
      : spawnSync(node[0], node.slice(1), { encoding: 'utf8', env });
    results.push({ command: args.slice(0, 2).join(' '), code: run.status, stderr: run.stderr.slice(-2000) });
    return { code: run.status, json: () => JSON.parse(run.stdout) as Record<string, unknown> };
  }
  const entries = () =>
    existsSync(log)
      ? readFileSync(log, 'utf8')
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Record<string, string>)
      : [];

  beforeAll(() => {
    const sample = offline('sample', '--out', join(dir, 'sample'), '--subjects', '1', '--slices', '16', '--size', '48', '--json');
    if (sample.code !== 0) return;
    const [first] = sample.json().series as { id: string; dicom: string; labels: string }[];
    if (offline('import', first.dicom, '--workspace', ws, '--json').code !== 0) return;
    offline('pretrain', '--workspace', ws, ...'--size 32 --width 4 --epochs 1 --batch 8 --threads 1 --name pre --json'.split(' '));
    offline(
      'annotations',
      'import',
      '--workspace',
      ws,
      '--series',
      first.id,
      '--labels',
      first.labels,
      '--slices',
      '3',
      '--seed',
      '1',
      '--json',
    );
    offline('finetune', '--workspace', ws, '--name', 'seg', '--init', 'pre', '--epochs', '1', '--json');
    offline('predict', '--workspace', ws, '--model', 'seg', '--series', first.id, '--out', join(dir, 'pred.nii.gz'), '--json');
    offline('predict', '--workspace', ws, '--model', 'seg', '--series', first.id, '--out', join(dir, 'pred.dcm'), '--json');
  }, 600_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.skipIf(!canUnshare)('completes the whole job in a network namespace with no interface up', () => {
    expect(results).toHaveLength(7);
    for (const r of results) expect(r.code, `${r.command}: ${r.stderr}`).toBe(0);
    expect(existsSync(join(dir, 'pred.nii.gz')) && existsSync(join(dir, 'pred.dcm'))).toBe(true);
  });

  it('opens no connection and resolves no name in any process of the job', () => {
    for (const r of results) expect(r.code, `${r.command}: ${r.stderr}`).toBe(0);
    const all = entries();
    // The guard was in every command's process (and in the job processes they started).
    expect(all.filter((e) => e.loaded !== undefined).length).toBeGreaterThanOrEqual(results.length);
    expect(all.filter((e) => e.blocked !== undefined)).toEqual([]);
  });

  it('the guard does catch a connection (so the test above can fail)', () => {
    const probe = spawnSync(process.execPath, ['-e', "require('node:net').connect(9, '127.0.0.1').on('error', () => {})"], {
      encoding: 'utf8',
      env,
    });
    expect(probe.status).not.toBe(0);
    expect(entries().filter((e) => e.blocked === 'net.Socket.connect')).toHaveLength(1);
  });

  it("serve's own process, serving a tab, connects nowhere", async () => {
    const server = await startServeProcess(ws, undefined, env);
    try {
      const series = (
        JSON.parse(
          spawnSync(process.execPath, [join(ROOT, 'bin', 'ssmtl.mjs'), 'info', '--workspace', ws, '--json'], { encoding: 'utf8' }).stdout,
        ) as { series: { id: string; rows: number; cols: number; slices: number }[] }
      ).series[0];
      const load = await runTab(server, series, 3, 1);
      expect(load.errors).toEqual([]);
    } finally {
      await server.stop();
    }
    expect(entries().filter((e) => e.blocked !== undefined && e.blocked !== 'net.Socket.connect')).toEqual([]);
    expect(entries().filter((e) => e.blocked === 'net.Socket.connect')).toHaveLength(1); // the probe's, nothing more
  }, 60_000);
});
