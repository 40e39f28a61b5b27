/**
 * Time to retrieve a series from a PACS and import it, through each protocol.
 *   npx tsx bench/pacs-retrieve.ts [--slices 300] [--size 512] [--runs 2]
 * Starts Debian's Orthanc with its DICOMweb plugin on loopback (as tests/pacs.test.ts
 * does), stores a synthetic CT series of SLICES × SIZE² slices in it through Orthanc's
 * own REST API, then times, best of N runs into a fresh workspace each:
 *   - `ssmtl pacs get` as a user runs it (a new process: includes Node's and tsx's start);
 *   - the same retrieval in this process, split into receiving (WADO-RS / C-GET into the
 *     workspace's staging folder) and importing (scan + decode + store).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openPeer } from '../src/engine/node/pacs/open-peer.ts';
import { entryFromAddress } from '../src/engine/node/pacs/pacs-entries.ts';
import { retrieveIntoWorkspace } from '../src/engine/node/pacs/retrieve-into-workspace.ts';
import { ORTHANC_PASSWORD, ORTHANC_USER, orthancMissing, startOrthanc } from '../tests/helpers/orthanc.ts';

const { values } = parseArgs({
  options: { slices: { type: 'string', default: '300' }, size: { type: 'string', default: '512' }, runs: { type: 'string', default: '2' } },
});
const missing = orthancMissing();
if (missing) {
  console.error(`cannot run: ${missing}`);
  process.exit(2);
}
const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'ssmtl-bench-pacs-'));
const ssmtl = (...args: string[]) =>
  spawnSync(process.execPath, [join(root, 'bin/ssmtl.mjs'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, SSMTL_QUIET: '1', BENCH_PACS_PASSWORD: ORTHANC_PASSWORD },
  });

const sample = ssmtl('sample', '--out', join(dir, 'sample'), '--subjects', '1', '--slices', values.slices, '--size', values.size, '--json');
if (sample.status !== 0) throw new Error(sample.stderr);
const { id: series, dicom } = JSON.parse(sample.stdout).series[0];
const orthanc = await startOrthanc(join(dir, 'orthanc'));
try {
  const files = readdirSync(dicom).map((name) => join(dicom, name));
  let t0 = performance.now();
  await orthanc.upload(files);
  console.error(`stored ${files.length} images in Orthanc in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const login = ['--user', ORTHANC_USER, '--password-env', 'BENCH_PACS_PASSWORD'];
  const results: Record<string, unknown>[] = [];
  for (const [protocol, address] of [
    ['dicomweb', orthanc.dicomweb],
    ['dimse', orthanc.dimse],
  ] as const) {
    let command = Infinity;
    let receive = Infinity;
    let importing = Infinity;
    for (let run = 0; run < Number(values.runs); run++) {
      const ws = join(dir, `ws-${protocol}-${run}`);
      t0 = performance.now();
      const got = ssmtl('pacs', 'get', '--pacs', address, ...login, '--series', series, '--workspace', ws, '--json');
      if (got.status !== 0) throw new Error(got.stderr);
      command = Math.min(command, performance.now() - t0);
      rmSync(ws, { recursive: true, force: true });

      const entry = entryFromAddress('bench', address, { auth: { kind: 'basic', user: ORTHANC_USER, passwordEnv: null } });
      const peer = await openPeer({ entry, secret: ORTHANC_PASSWORD });
      let received = 0;
      t0 = performance.now();
      await retrieveIntoWorkspace(ws, peer, [series], {
        onProgress: (p) => {
          if (p.stage === 'reading headers' && received === 0) received = performance.now();
        },
      });
      const end = performance.now();
      receive = Math.min(receive, received - t0);
      importing = Math.min(importing, end - received);
      rmSync(ws, { recursive: true, force: true });
    }
    results.push({
      protocol,
      slices: Number(values.slices),
      size: Number(values.size),
      commandSeconds: round(command),
      receiveSeconds: round(receive),
      importSeconds: round(importing),
    });
  }
  console.log(JSON.stringify(results, null, 2));
} finally {
  await orthanc.stop();
  rmSync(dir, { recursive: true, force: true });
}

function round(ms: number): number {
  return Math.round(ms / 10) / 100;
}
