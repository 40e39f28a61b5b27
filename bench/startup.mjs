#!/usr/bin/env node
// How fast the built program starts (issue: "ship it built"): `ssmtl --help`, `ssmtl scan`
// of one DICOM file, a job process from fork to its first answer, and `ssmtl serve` from
// start to its URL, each the median of N runs, from out/node (built) and from the sources
// (through tsx) side by side. Targets: --help < 0.15 s, scan < 0.3 s, job < 0.3 s,
// serve < 2 s.
//
//   npm run build:node && node bench/startup.mjs [--runs 7]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeBuildState } from '../scripts/node-build.mjs';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'ssmtl.mjs');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 7;
const file = join(root, 'tests', 'fixtures', 'real', 'CT_small.dcm');
if (nodeBuildState() !== 'current') {
  console.error('out/node is missing or stale: run `npm run build:node` first');
  process.exit(2);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timeCommand(args, env) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0 && !(args.length === 0 && r.status === 2)) throw new Error(`ssmtl ${args.join(' ')}: ${r.stderr}`);
  return performance.now() - t0;
}

/** Time until `serve` prints its URL (the interface is already built by npm install). */
function timeServe(env) {
  const workspace = mkdtempSync(join(tmpdir(), 'ssmtl-startup-'));
  const t0 = performance.now();
  const child = spawn(process.execPath, [bin, 'serve', '--workspace', workspace, '--json'], { env: { ...process.env, ...env } });
  return new Promise((resolve, reject) => {
    child.stdout.once('data', () => {
      const ms = performance.now() - t0;
      child.kill('SIGTERM');
      child.on('close', () => {
        rmSync(workspace, { recursive: true, force: true });
        resolve(ms);
      });
    });
    child.on('error', reject);
  });
}

/**
 * A job process (import) from fork to its answer (here a refusal: an import of nothing,
 * into a fresh workspace), started from its built entry or from its source.
 */
function timeJob(built) {
  const entry = built
    ? `{ path: ${JSON.stringify(join(root, 'out/node/import-child.mjs'))}, execArgv: [] }`
    : `(await import(${JSON.stringify(join(root, 'src/engine/node/process/process-entry.ts'))})).processEntry('import-job')`;
  const script = `
    const { startJobProcess } = await import(${JSON.stringify(join(root, 'src/engine/node/process/start-job-process.ts'))});
    const entry = ${entry};
    const t0 = performance.now();
    const workspace = (await import('node:fs')).mkdtempSync((await import('node:path')).join((await import('node:os')).tmpdir(), 'ssmtl-startup-'));
    await startJobProcess(entry, { workspace, paths: [], sample: false }, () => {}, 'import').result.catch(() => {});
    (await import('node:fs')).rmSync(workspace, { recursive: true, force: true });
    process.stdout.write(String(performance.now() - t0));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx/esm', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
  const ms = Number(r.stdout);
  if (!Number.isFinite(ms) || ms <= 0) throw new Error(`job process timing failed: ${r.stderr}`);
  return ms;
}

const rows = [];
for (const [label, env] of [
  ['built (out/node)', {}],
  ['sources (tsx)', { SSMTL_FROM_SOURCES: '1' }],
]) {
  const help = [];
  const scan = [];
  const serve = [];
  const job = [];
  for (let i = 0; i < runs; i++) {
    help.push(timeCommand(['--help'], env));
    scan.push(timeCommand(['scan', file, '--json'], env));
    serve.push(await timeServe(env));
    job.push(timeJob(!env.SSMTL_FROM_SOURCES));
  }
  rows.push([label, median(help), median(scan), median(serve), median(job)]);
}

console.log(`| start | --help | scan (1 file) | serve to URL | job process to answer |`);
console.log(`| --- | ---: | ---: | ---: | ---: |`);
for (const [label, ...ms] of rows) console.log(`| ${label} | ${ms.map((m) => `${(m / 1000).toFixed(3)} s`).join(' | ')} |`);
console.log(`median of ${runs} runs; load average ${loadavg()[0].toFixed(1)}; ${new Date().toISOString()}`);
