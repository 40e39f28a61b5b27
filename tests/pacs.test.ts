import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSeg } from '../src/formats/dicom-seg/read-seg.ts';
import { parseDicomBytes } from '../src/formats/dicom/parse-part10.ts';
import { readSeriesLabels } from '../src/engine/node/annotations/label-volume.ts';
import { PacsCancelled } from '../src/engine/node/pacs/pacs-error.ts';
import { entryFromAddress } from '../src/engine/node/pacs/pacs-entries.ts';
import { openPeer } from '../src/engine/node/pacs/open-peer.ts';
import { retrieveIntoWorkspace } from '../src/engine/node/pacs/retrieve-into-workspace.ts';
import { savePrediction } from '../src/engine/node/segmentation/prediction-store.ts';
import { Workspace } from '../src/engine/node/workspace/workspace.ts';
import { startCuttingProxy } from './helpers/cutting-proxy.ts';
import { runCli, type CliResult } from './helpers/run-cli.ts';
import { ORTHANC_PASSWORD, ORTHANC_USER, OUR_AET, freePort, orthancMissing, startOrthanc, type RunningOrthanc } from './helpers/orthanc.ts';

/**
 * `ssmtl pacs` against a real PACS (issue 15): Debian's Orthanc with its DICOMweb plugin,
 * started on loopback for these tests. Echo, find, get of a real multi-slice series through
 * DICOMweb and DIMSE (pixels equal to an import of the same files), store of a model's SEG
 * through both and finding it again; a refused login, a dead server, a series cut off
 * half-way and a cancelled transfer fail in one line and leave the workspace as it was.
 */
const root = join(import.meta.dirname, '..');
const missing = orthancMissing();
const PASSWORD_ENV = 'SSMTL_TEST_PACS_PASSWORD';

/** `ssmtl ARGS` in this process (helpers/run-cli.ts), with the PACS password in its environment variable. */
function ssmtl(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(args, { [PASSWORD_ENV]: ORTHANC_PASSWORD, ...env });
}

/** The real command, in its own process (a child that does not block this event loop). */
function ssmtlProcess(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'bin/ssmtl.mjs'), ...args], {
      env: { ...process.env, SSMTL_QUIET: '1', [PASSWORD_ENV]: ORTHANC_PASSWORD },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function expectOneLineError(result: CliResult, message: RegExp) {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(message);
  expect(result.stderr + result.stdout).not.toContain(ORTHANC_PASSWORD);
}

/** Everything a user could notice in a workspace: its files (but the SQLite journal) and its catalogue rows. */
function snapshot(dir: string): unknown {
  if (!existsSync(dir)) return null;
  const files: string[] = [];
  const walk = (folder: string) => {
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (!/catalogue\.sqlite(-wal|-shm)?$/.test(name)) files.push(`${relative(dir, path)} ${statSync(path).size}`);
    }
  };
  walk(dir);
  const workspace = Workspace.open(dir, { create: false });
  try {
    const tables = ['series', 'slices', 'annotations', 'models', 'predictions', 'pacs_entries'];
    return { files, rows: tables.map((t) => workspace.db.prepare(`SELECT * FROM ${t}`).all()) };
  } finally {
    workspace.close();
  }
}

const login = ['--user', ORTHANC_USER, '--password-env', PASSWORD_ENV];

describe.skipIf(missing !== null)(`ssmtl pacs against Orthanc${missing ? ` (skipped: ${missing})` : ''}`, () => {
  // Made when the tests run, not when they are collected (a skipped run leaves nothing behind).
  let dir = '';
  let orthanc: RunningOrthanc;
  let series = '';
  let sourceFolder = '';
  let labels = '';
  let wsWeb = '';
  let wsDimse = '';
  let wsLocal = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ssmtl-pacs-'));
    [wsWeb, wsDimse, wsLocal] = ['ws-dicomweb', 'ws-dimse', 'ws-local'].map((name) => join(dir, name));
    const sample = await ssmtl(['sample', '--out', join(dir, 'sample'), '--subjects', '1', '--slices', '24', '--size', '64', '--json']);
    expect(sample.code, sample.stderr).toBe(0);
    ({ id: series, dicom: sourceFolder, labels } = sample.json().series[0]);
    orthanc = await startOrthanc(join(dir, 'orthanc'));
    await orthanc.upload(readdirSync(sourceFolder).map((name) => join(sourceFolder, name)));
    expect((await ssmtl(['import', sourceFolder, '--workspace', wsLocal, '--json'])).code).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await orthanc?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers echo through both protocols', async () => {
    const command = await ssmtlProcess(['pacs', 'echo', '--pacs', orthanc.dicomweb, ...login, '--json']);
    expect(command.code, command.stderr).toBe(0);
    expect(JSON.parse(command.stdout)).toMatchObject({ ok: true, protocol: 'dicomweb' });
    const web = await ssmtl(['pacs', 'echo', '--pacs', orthanc.dicomweb, ...login, '--json']);
    expect(web.code, web.stderr).toBe(0);
    expect(web.json()).toMatchObject({ ok: true, protocol: 'dicomweb', ms: expect.any(Number) });
    const dimse = await ssmtl(['pacs', 'echo', '--pacs', orthanc.dimse, '--aet', OUR_AET, '--json']);
    expect(dimse.code, dimse.stderr).toBe(0);
    expect(dimse.json()).toMatchObject({ ok: true, protocol: 'dimse', ms: expect.any(Number) });
  });

  it('finds the study and its series by patient, date range, modality and description, the same through both protocols', async () => {
    const query = ['--patient', 'SAMPLE-01', '--study-date', '20000101-20991231', '--modality', 'ct', '--description', 'THORAX', '--json'];
    const web = await ssmtl(['pacs', 'find', '--pacs', orthanc.dicomweb, ...login, ...query]);
    expect(web.code, web.stderr).toBe(0);
    const found = web.json();
    expect(found.studies).toHaveLength(1);
    expect(found.studies[0]).toMatchObject({ patientId: 'SAMPLE-01', studyUid: expect.stringMatching(/^[0-9.]+$/) });
    expect(found.studies[0].series).toEqual([{ seriesUid: series, modality: 'CT', description: expect.any(String), instances: 24 }]);
    const dimse = await ssmtl(['pacs', 'find', '--pacs', orthanc.dimse, ...query]);
    expect(dimse.code, dimse.stderr).toBe(0);
    expect(dimse.json()).toEqual(found);
    const none = await ssmtl(['pacs', 'find', '--pacs', orthanc.dicomweb, ...login, '--modality', 'MR', '--json']);
    expect(none.json()).toEqual({ studies: [] });
    expectOneLineError(
      await ssmtl(['pacs', 'find', '--pacs', orthanc.dimse, '--study-date', '2024-01-01']),
      /--study-date 2024-01-01: expected YYYYMMDD/,
    );
  });

  it('retrieves the series through DICOMweb and through DIMSE into workspaces, pixel for pixel as a folder import', async () => {
    const web = await ssmtl(['pacs', 'get', '--pacs', orthanc.dicomweb, ...login, '--series', series, '--workspace', wsWeb, '--json']);
    expect(web.code, web.stderr).toBe(0);
    expect(web.json()).toEqual({ imported: [{ id: series, slices: 24, rows: 64, cols: 64 }], skipped: [] });
    const dimse = await ssmtl(['pacs', 'get', '--pacs', orthanc.dimse, '--series', series, '--workspace', wsDimse, '--json']);
    expect(dimse.code, dimse.stderr).toBe(0);
    expect(dimse.json()).toEqual(web.json());

    const local = Workspace.open(wsLocal, { create: false });
    try {
      for (const ws of [wsWeb, wsDimse]) {
        const retrieved = Workspace.open(ws, { create: false });
        try {
          const record = retrieved.requireSeries(series);
          // The source files are inside the workspace, where a DICOM SEG export reads them.
          expect(record.files.every((file) => file.startsWith(join(ws, 'sources', 'pacs')))).toBe(true);
          expect(retrieved.sliceStats(record.key)).toEqual(local.sliceStats(local.requireSeries(series).key));
          for (let k = 0; k < 24; k++) expect(retrieved.readSlice(series, k)).toEqual(local.readSlice(series, k));
        } finally {
          retrieved.close();
        }
      }
    } finally {
      local.close();
    }
    // Again: the same files, so the import changes nothing.
    const before = snapshot(wsDimse);
    const again = await ssmtl(['pacs', 'get', '--pacs', orthanc.dimse, '--series', series, '--workspace', wsDimse, '--json']);
    expect(again.json()).toEqual(dimse.json());
    expect(snapshot(wsDimse)).toEqual(before);
  });

  it("stores a model's DICOM SEG through STOW-RS and C-STORE, referencing the series, and finds it again", async () => {
    // A real model (one epoch from scratch); its stored prediction is the sample's true labels,
    // so that the SEG holds every structure whatever one epoch learnt.
    const annotate = await ssmtl([
      'annotations',
      'import',
      '--workspace',
      wsWeb,
      '--series',
      series,
      '--labels',
      labels,
      '--slices',
      '4',
      '--json',
    ]);
    expect(annotate.code, annotate.stderr).toBe(0);
    const finetune = await ssmtl([
      ...'finetune --name seg --init none --size 32 --width 4 --epochs 1 --json'.split(' '),
      '--workspace',
      wsWeb,
    ]);
    expect(finetune.code, finetune.stderr).toBe(0);
    const workspace = Workspace.open(wsWeb, { create: false });
    let truthValues: number[];
    try {
      const record = workspace.requireSeries(series);
      const truth = readSeriesLabels(workspace, record, labels);
      truthValues = truth.values;
      const volume = new Uint16Array(record.rows * record.cols * record.slices);
      for (let k = 0; k < record.slices; k++) volume.set(truth.slice(k), k * record.rows * record.cols);
      savePrediction(workspace, record, 'seg', volume, {
        classes: [0, ...truthValues],
        volumesMl: {},
        uncertainty: [],
        suggestedSlices: [],
      });
    } finally {
      workspace.close();
    }

    const storeArgs = ['--workspace', wsWeb, '--model', 'seg', '--series', series, '--json'];
    const stowed = await ssmtl(['pacs', 'store', '--pacs', orthanc.dicomweb, ...login, ...storeArgs]);
    expect(stowed.code, stowed.stderr).toBe(0);
    const { stored, file } = stowed.json();
    expect(file.startsWith(join(wsWeb, 'exports'))).toBe(true);
    const stored2 = await ssmtl(['pacs', 'store', '--pacs', orthanc.dimse, ...storeArgs]);
    expect(stored2.code, stored2.stderr).toBe(0);

    const found = (await ssmtl(['pacs', 'find', '--pacs', orthanc.dimse, '--modality', 'SEG', '--json'])).json();
    const segSeries = found.studies.flatMap((s: { series: { seriesUid: string }[] }) => s.series.map((x) => x.seriesUid));
    expect(segSeries).toEqual(expect.arrayContaining([stored.seriesUid, stored2.json().stored.seriesUid]));
    const study = found.studies[0];
    expect(study.studyUid).toBe(stored.studyUid);

    // What the PACS holds is the SEG that was sent, pointing at the series' images, with every structure.
    for (const sop of [stored.sopInstanceUid, stored2.json().stored.sopInstanceUid]) {
      const seg = readSeg(await orthanc.fileOf(sop));
      expect(seg.referencedSeries).toBe(series);
      expect(seg.segments.length).toBe(truthValues.length);
    }
    expect(parseDicomBytes(readFileSync(file)).dataSet.string('x00080018')).toBe(stored.sopInstanceUid);
  });

  it('refuses a wrong password or an unknown AE title in one line, leaving the workspace as it was', async () => {
    const before = snapshot(wsWeb);
    const badPassword = await ssmtl(['pacs', 'get', '--pacs', orthanc.dicomweb, ...login, '--series', series, '--workspace', wsWeb], {
      [PASSWORD_ENV]: 'wrong',
    });
    expectOneLineError(badPassword, /refused the login \(HTTP 401\)/);
    const stranger = await ssmtl(['pacs', 'get', '--pacs', orthanc.dimse, '--aet', 'STRANGER', '--series', series, '--workspace', wsWeb]);
    expectOneLineError(stranger, /aborted the association .* our AE title STRANGER/);
    expect(snapshot(wsWeb)).toEqual(before);
    const fresh = join(dir, 'never-created');
    expectOneLineError(await ssmtl(['pacs', 'get', '--pacs', orthanc.dicomweb, '--series', series, '--workspace', fresh]), /HTTP 401/);
    expect(existsSync(fresh)).toBe(false);
  });

  it('names a dead server after retrying, through both protocols', async () => {
    const port = await freePort();
    expectOneLineError(
      await ssmtl(['pacs', 'echo', '--pacs', `http://127.0.0.1:${port}/dicom-web`, '--retries', '1']),
      new RegExp(`cannot reach the PACS at http://127.0.0.1:${port}/dicom-web: connection refused.*\\(tried 2 times\\)`),
    );
    expectOneLineError(
      await ssmtl([
        'pacs',
        'get',
        '--pacs',
        `dicom://ORTHANC@127.0.0.1:${port}`,
        '--retries',
        '0',
        '--series',
        series,
        '--workspace',
        wsDimse,
      ]),
      new RegExp(`cannot reach the PACS at ORTHANC@127.0.0.1:${port}: connection refused`),
    );
  });

  it('fails a series cut off half-way through either protocol and leaves the workspace as it was', async () => {
    const seriesBytes = readdirSync(sourceFolder).reduce((n, name) => n + statSync(join(sourceFolder, name)).size, 0);
    for (const [ws, target, address] of [
      [wsWeb, orthanc.httpPort, (port: number) => `http://127.0.0.1:${port}/dicom-web`],
      [wsDimse, orthanc.dicomPort, (port: number) => `dicom://ORTHANC@127.0.0.1:${port}`],
    ] as const) {
      const proxy = await startCuttingProxy(target, Math.round(seriesBytes / 2));
      try {
        const before = snapshot(ws);
        const cut = await ssmtl([
          'pacs',
          'get',
          '--pacs',
          address(proxy.port),
          ...login,
          '--retries',
          '1',
          '--series',
          series,
          '--workspace',
          ws,
        ]);
        expectOneLineError(
          cut,
          /failed while sending image .* images had arrived|closed the connection before series .* images had arrived/,
        );
        expect(proxy.relayed()).toBeGreaterThan(seriesBytes / 4);
        expect(snapshot(ws)).toEqual(before);
      } finally {
        await proxy.close();
      }
    }
  });

  it('cancels a transfer in flight and removes what arrived', async () => {
    for (const address of [orthanc.dicomweb, orthanc.dimse]) {
      const before = snapshot(wsDimse);
      const entry = entryFromAddress('test', address, { auth: { kind: 'basic', user: ORTHANC_USER, passwordEnv: PASSWORD_ENV } });
      const peer = await openPeer({ entry, secret: ORTHANC_PASSWORD });
      const controller = new AbortController();
      const retrieval = retrieveIntoWorkspace(wsDimse, peer, [series], {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.stage.startsWith('receiving') && p.done >= 3) controller.abort();
        },
      });
      await expect(retrieval).rejects.toBeInstanceOf(PacsCancelled);
      expect(snapshot(wsDimse)).toEqual(before);
    }
  });

  it('keeps a named PACS in the workspace without its secret, and uses it by name', async () => {
    const added = await ssmtl(['pacs', 'add', 'radiology', '--pacs', orthanc.dicomweb, ...login, '--workspace', wsWeb, '--json']);
    expect(added.code, added.stderr).toBe(0);
    expect(added.json().pacs).toMatchObject({
      name: 'radiology',
      protocol: 'dicomweb',
      auth: { kind: 'basic', user: ORTHANC_USER, passwordEnv: PASSWORD_ENV },
    });
    const echo = await ssmtl(['pacs', 'echo', '--pacs', 'radiology', '--workspace', wsWeb, '--json']);
    expect(echo.code, echo.stderr).toBe(0);
    expect((await ssmtl(['pacs', 'list', '--workspace', wsWeb, '--json'])).json().pacs.map((e: { name: string }) => e.name)).toEqual([
      'radiology',
    ]);
    for (const name of readdirSync(wsWeb).filter((n) => n.startsWith('catalogue.sqlite'))) {
      expect(readFileSync(join(wsWeb, name)).includes(ORTHANC_PASSWORD)).toBe(false);
    }
    expectOneLineError(
      await ssmtl([
        'pacs',
        'add',
        'leaky',
        '--pacs',
        orthanc.dicomweb,
        '--user',
        ORTHANC_USER,
        '--password-env',
        ORTHANC_PASSWORD,
        '--workspace',
        wsWeb,
      ]),
      /--password-env takes the NAME of an environment variable/,
    );
    expectOneLineError(
      await ssmtl(['pacs', 'echo', '--pacs', 'radiology', '--workspace', wsWeb], { [PASSWORD_ENV]: '' }),
      new RegExp(`--password-env ${PASSWORD_ENV}: the environment variable is not set`),
    );
  });
});
