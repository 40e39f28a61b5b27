/**
 * Import throughput against Debian's dcm2niix on the same series.
 *   npx tsx bench/import-vs-dcm2niix.ts [--slices 500] [--size 512] [--runs 2]
 * Writes a signed 16-bit CT-like series (one file per slice), then times, best of N runs
 * with a warm page cache and no dirty pages left by the previous run (`sync` first): `ssmtl scan`, `ssmtl import` into a fresh workspace, and
 * `dcm2niix -z n` into a fresh folder; peak RSS from /usr/bin/time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { testUid, writeDicom } from '../tests/helpers/write-dicom.ts';

const { values } = parseArgs({
  options: { slices: { type: 'string', default: '500' }, size: { type: 'string', default: '512' }, runs: { type: 'string', default: '2' } },
});
const slices = Number(values.slices);
const size = Number(values.size);
const runs = Number(values.runs);
const root = join(import.meta.dirname, '..');
const data = join(tmpdir(), `ssmtl-bench-${slices}x${size}`);

const marker = `${data}.complete`;
if (!existsSync(marker)) {
  rmSync(data, { recursive: true, force: true });
  mkdirSync(data, { recursive: true });
  const seriesUid = testUid();
  const pixels = new Int16Array(size * size);
  let seed = 12345;
  for (let k = 0; k < slices; k++) {
    for (let i = 0; i < pixels.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const x = (i % size) - size / 2;
      const y = Math.floor(i / size) - size / 2;
      pixels[i] = (x * x + y * y < (size * size) / 5 ? 1040 : 24) + (seed >>> 28) - 8;
    }
    writeFileSync(
      join(data, `slice-${(k * 7919) % slices}.dcm`),
      writeDicom({
        seriesUid,
        position: [0, 0, k * 1.25],
        instanceNumber: slices - k,
        rows: size,
        cols: size,
        pixels,
        rescaleIntercept: -1024,
      }),
    );
  }
  writeFileSync(marker, '');
}
const inputBytes = readdirSync(data).reduce((sum, name) => sum + statSync(join(data, name)).size, 0);

function timed(command: string, args: string[]): { seconds: number; rssMb: number } {
  // Earlier runs' dirty pages would otherwise be written back during this one.
  spawnSync('sync');
  const result = spawnSync('/usr/bin/time', ['-f', '%e %M', command, ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr}`);
  const [seconds, kb] = result.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { seconds, rssMb: kb / 1024 };
}

function best(label: string, run: () => { seconds: number; rssMb: number }) {
  const results = Array.from({ length: runs }, run);
  const fastest = results.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const rssMb = Math.max(...results.map((r) => r.rssMb));
  return {
    label,
    seconds: fastest.seconds,
    rssMb,
    slicesPerSecond: slices / fastest.seconds,
    mbPerSecond: inputBytes / 1e6 / fastest.seconds,
  };
}

const node = process.execPath;
const cli = join(root, 'bin/ssmtl.mjs');
const rows = [
  best('ssmtl scan', () => timed(node, [cli, 'scan', data, '--json'])),
  best('ssmtl import', () => {
    const workspace = join(mkdtempSync(join(tmpdir(), 'ssmtl-bench-ws-')), 'ws');
    return timed(node, [cli, 'import', data, '--workspace', workspace, '--json']);
  }),
  best('dcm2niix -z n', () => timed('dcm2niix', ['-z', 'n', '-o', mkdtempSync(join(tmpdir(), 'ssmtl-bench-nii-')), data])),
];
console.log(`${slices} slices of ${size} × ${size} int16, ${(inputBytes / 1e6).toFixed(0)} MB of DICOM, best of ${runs}`);
console.log('| tool | seconds | slices/s | MB/s | peak RSS MB |');
console.log('| --- | --- | --- | --- | --- |');
for (const r of rows)
  console.log(
    `| ${r.label} | ${r.seconds.toFixed(2)} | ${r.slicesPerSecond.toFixed(0)} | ${r.mbPerSecond.toFixed(0)} | ${r.rssMb.toFixed(0)} |`,
  );
