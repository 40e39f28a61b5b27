import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { chromium, type Browser, type Page } from 'playwright-core';
import { writeSample } from '../../src/sample/write-sample.ts';

/**
 * What every end-to-end test starts from: `ssmtl serve` on a fresh empty workspace
 * (its first stdout line is { url }; a first run builds the interface before it) and
 * Debian's Chromium driven by playwright-core, with a fresh temporary profile.
 */
export const ROOT = join(import.meta.dirname, '..', '..');
export const CHROMIUM = process.env.SSMTL_CHROMIUM ?? '/usr/bin/chromium';
export const SHOTS = join(ROOT, 'test-results', 'e2e');
export const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`e2e: skipped, no Chromium at ${CHROMIUM} (apt-get install chromium, or set SSMTL_CHROMIUM)`);

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface ServeSession {
  workspace: string;
  url: string;
  server: ChildProcess;
  /** SIGTERM, and the exit code (CONTRACT.md: 0 after finishing writes) */
  stop(): Promise<number | null>;
}

/** `workspace`: one made beforehand (smallSampleWorkspace), inside a folder of its own that stop() removes. */
export async function startServe(workspace = join(mkdtempSync(join(tmpdir(), 'ssmtl-e2e-')), 'workspace')): Promise<ServeSession> {
  mkdirSync(SHOTS, { recursive: true });
  const server = spawn(process.execPath, [join(ROOT, 'bin', 'ssmtl.mjs'), 'serve', '--workspace', workspace, '--json'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SSMTL_QUIET: '1' },
  });
  let stderr = '';
  server.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: server.stdout! });
    lines.once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
    server.once('exit', (code) => reject(new Error(`serve exited (${code}): ${stderr}`)));
  });
  return {
    workspace,
    url,
    server,
    stop: async () => {
      let code: number | null = server.exitCode;
      if (code === null) {
        const exited = new Promise<number | null>((resolve) => server.once('exit', (c) => resolve(c)));
        server.kill('SIGTERM');
        code = await exited;
      }
      rmSync(join(workspace, '..'), { recursive: true, force: true });
      return code;
    },
  };
}

export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...extraArgs], headless: true });
}

/**
 * The WebGPU adapter Chromium offers with these flags (a secure context is needed, so a
 * throwaway page on loopback asks), or null when it offers none.
 */
export async function probeWebGpu(extraArgs: string[]): Promise<string | null> {
  const server = createServer((_request, response) => response.end('<!doctype html><title>probe</title>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const browser = await launchChromium(extraArgs);
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    return await page.evaluate(`(async () => {
      const adapter = navigator.gpu ? await navigator.gpu.requestAdapter() : null;
      return adapter ? [adapter.info?.vendor, adapter.info?.architecture].filter(Boolean).join(' ') || 'unnamed adapter' : null;
    })()`);
  } finally {
    await browser.close();
    server.close();
  }
}

function ssmtl(args: string[]): string {
  const run = spawnSync(process.execPath, [join(ROOT, 'bin', 'ssmtl.mjs'), ...args], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`ssmtl ${args[0]} failed: ${run.stderr}`);
  return run.stdout;
}

/**
 * A workspace with one small series of the built-in sample (written and imported by the
 * CLI, for tests about the viewer rather than about importing), `annotated` of its
 * slices annotated from the sample's ground truth. Serve it with startServe(workspace).
 */
export function smallSampleWorkspace(
  slices: number,
  annotated: number,
): { workspace: string; seriesId: string; annotatedSlices: number[] } {
  const folder = mkdtempSync(join(tmpdir(), 'ssmtl-e2e-'));
  const workspace = join(folder, 'workspace');
  const [sample] = writeSample({ outDir: join(folder, 'sample'), subjects: 1, slices }).series;
  const seriesId = (JSON.parse(ssmtl(['import', sample.dicomDir, '--workspace', workspace, '--json'])) as { imported: { id: string }[] })
    .imported[0].id;
  if (annotated === 0) return { workspace, seriesId, annotatedSlices: [] };
  const args = ['annotations', 'import', '--workspace', workspace, '--series', seriesId, '--labels', sample.labelsPath];
  const { annotatedSlices } = JSON.parse(ssmtl([...args, '--slices', String(annotated), '--json'])) as { annotatedSlices: number[] };
  return { workspace, seriesId, annotatedSlices };
}

/** `ssmtl info --workspace …` as JSON. */
export function workspaceInfo(workspace: string): { series: { id: string; annotatedSlices: number[]; spacing: number[] }[] } {
  const info = spawnSync(process.execPath, [join(ROOT, 'bin', 'ssmtl.mjs'), 'info', '--workspace', workspace, '--json'], {
    encoding: 'utf8',
  });
  if (info.status !== 0) throw new Error(`ssmtl info failed: ${info.stderr}`);
  return JSON.parse(info.stdout) as { series: { id: string; annotatedSlices: number[]; spacing: number[] }[] };
}

/**
 * Annotates `slices` slices of the first series from the built-in sample's ground truth,
 * as an annotator would have drawn them (`ssmtl annotations import`); returns that series.
 */
export function annotateFromSampleTruth(workspace: string, slices: number): string {
  const series = workspaceInfo(workspace).series[0].id;
  const labels = join(workspace, 'sources', 'sample', 'SAMPLE-01', 'labels.nii.gz');
  const args = [
    'annotations',
    'import',
    '--workspace',
    workspace,
    '--series',
    series,
    '--labels',
    labels,
    '--slices',
    String(slices),
    '--json',
  ];
  const imported = spawnSync(process.execPath, [join(ROOT, 'bin', 'ssmtl.mjs'), ...args], { encoding: 'utf8' });
  if (imported.status !== 0) throw new Error(`ssmtl annotations import failed: ${imported.stderr}`);
  return series;
}

/** A page in Chromium on `serve`, showing the Annotate screen of a small sample series (smallSampleWorkspace). */
export interface SmallSeriesSession {
  serve: ServeSession;
  browser: Browser;
  page: Page;
  seriesId: string;
  annotatedSlices: number[];
  /** the page's uncaught errors */
  errors: string[];
  /** closes the browser and stops serve: its exit code */
  close(): Promise<number | null>;
}

export async function openSmallSeries(slices: number, annotated: number): Promise<SmallSeriesSession> {
  const { workspace, seriesId, annotatedSlices } = smallSampleWorkspace(slices, annotated);
  const serve = await startServe(workspace);
  const browser = await launchChromium(['--disable-gpu']);
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(serve.url);
  await page.getByTestId('series-item').first().click();
  await page.locator('[data-testid=viewport][data-ready=true]').waitFor({ timeout: 60_000 });
  return {
    serve,
    browser,
    page,
    seriesId,
    annotatedSlices,
    errors,
    close: async () => {
      await browser.close();
      return serve.stop();
    },
  };
}

/**
 * From the Pre-train screen: a tiny SSMTL run (32 px, width 4, batch 4) of `epochs`
 * epochs, started from the form; resolves once its job shows as running.
 */
export async function startTinyPretrain(page: Page, epochs: number): Promise<void> {
  await page.getByTestId('pretrain-epochs').fill(String(epochs));
  await page.getByTestId('pretrain-size').fill('32');
  await page.getByTestId('pretrain-width').fill('4');
  await page.getByTestId('pretrain-batch').fill('4');
  await page.getByTestId('pretrain-start').click();
  await page.locator('[data-testid=job-progress][data-state=running]').waitFor({ timeout: 120_000 });
}
