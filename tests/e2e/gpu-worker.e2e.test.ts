/**
 * Pre-training on the browser's WebGPU, as a user of `ssmtl serve` gets it: the tab
 * offers its adapter (on a machine without a GPU, Chromium's SwiftShader), the Pre-train
 * screen says so, pre-training and fine-tuning asked to use WebGPU train in the tab's
 * worker and land in the workspace; reloading the tab mid-run ends that run with its
 * checkpoint kept.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { Workspace } from '../../src/engine/node/workspace/workspace.ts';
import { asArguments, webGpuSwitches } from '../../src/main/webgpu-switches.ts';
import {
  SHOTS,
  annotateFromSampleTruth,
  hasChromium,
  launchChromium,
  probeWebGpu,
  startServe,
  type ServeSession,
} from './serve-session.ts';

// The switches Electron's main sets on Linux (src/main/webgpu-switches.ts), tried on Debian's Chromium.
const WEBGPU_ARGS = asArguments(webGpuSwitches('linux'));
const adapter = hasChromium ? await probeWebGpu(WEBGPU_ARGS) : null;
if (hasChromium && !adapter) console.warn('e2e: WebGPU tests skipped, this Chromium offers no WebGPU adapter (not even SwiftShader)');

describe.skipIf(!adapter)('training and segmenting on the browser tab’s WebGPU', () => {
  let serve: ServeSession;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    serve = await startServe();
    browser = await launchChromium(WEBGPU_ARGS);
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (error) => errors.push(error.message));
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    if (serve) expect(await serve.stop()).toBe(0);
  }, 120_000);

  async function startRun(epochs: number): Promise<void> {
    await page.getByTestId('nav-train').click();
    await page.getByTestId('pretrain-epochs').fill(String(epochs));
    await page.getByTestId('pretrain-size').fill('32');
    await page.getByTestId('pretrain-width').fill('4');
    await page.getByTestId('pretrain-batch').fill('8');
    await page.getByTestId('pretrain-backend').selectOption('webgpu');
    await page.getByTestId('pretrain-start').click();
  }

  const jobState = () => page.getByTestId('job-progress').getAttribute('data-state');
  /** The whole job panel around the progress text: title, detail, backend, message. */
  const jobText = () => page.getByTestId('job-progress').locator('xpath=ancestor::div[contains(@class, "job")][1]').textContent();

  it('offers the adapter, trains a model on it and keeps the model in the workspace', async () => {
    await page.goto(serve.url);
    await page.getByTestId('import-sample').click();
    await expect.poll(() => page.getByTestId('series-item').count(), { timeout: 180_000, interval: 500 }).toBe(4);
    await expect.poll(() => page.getByTestId('compute-badge').textContent(), { timeout: 30_000 }).toMatch(/GPU: \S+/);
    await page.getByTestId('nav-train').click();
    expect(await page.getByTestId('pretrain-gpu').textContent()).toMatch(/this browser tab/);

    await startRun(1);
    await expect.poll(jobState, { timeout: 60_000, interval: 200 }).toBe('running');
    await expect.poll(jobState, { timeout: 300_000, interval: 1000 }).toBe('done');
    expect(await jobText()).toMatch(/1 epoch in \d+ s on webgpu/);
    await page.screenshot({ path: join(SHOTS, 'pretrain-webgpu.png') });
    expect(existsSync(join(serve.workspace, 'models', 'ssmtl-t5-32px-w4-seed0', 'weights.bin'))).toBe(true);
    expect(errors).toEqual([]);
  }, 600_000);

  it('fine-tunes on it from the pre-trained model, and segments the series on screen there too', async () => {
    annotateFromSampleTruth(serve.workspace, 4);
    await page.reload();
    await page.getByTestId('nav-review').click();
    await page.getByTestId('finetune-epochs').fill('3');
    await page.getByTestId('finetune-backend').selectOption('webgpu');
    await page.getByTestId('finetune-start').click();
    await expect
      .poll(async () => page.locator('[data-testid=overlay-model] option').count(), { timeout: 480_000, interval: 2000 })
      .toBeGreaterThan(1);
    await expect.poll(jobText, { timeout: 30_000 }).toMatch(/64 slices in [\d.]+ s on webgpu/);
    await page.screenshot({ path: join(SHOTS, 'finetune-webgpu.png') });
    const store = Workspace.open(serve.workspace, { create: false });
    try {
      const model = store.listModels().find((m) => m.kind === 'segmentation');
      expect(model?.meta).toMatchObject({ backend: 'webgpu', init: 'ssmtl-t5-32px-w4-seed0', trainSlices: 4, epochs: 3 });
    } finally {
      store.close();
    }
  }, 600_000);

  it('a tab reloaded mid-run ends that run, keeping its checkpoint to resume from', async () => {
    await startRun(40);
    const checkpoint = join(serve.workspace, 'models', 'ssmtl-t5-32px-w4-seed0-run2', 'checkpoint.bin');
    await expect.poll(() => existsSync(checkpoint), { timeout: 300_000, interval: 500 }).toBe(true);
    await page.reload();
    await page.getByTestId('nav-train').click();
    await expect.poll(jobState, { timeout: 30_000, interval: 200 }).toBe('failed');
    expect(await jobText()).toMatch(/closed; the last checkpoint is kept/);
    await page.screenshot({ path: join(SHOTS, 'pretrain-webgpu-tab-closed.png') });
  }, 600_000);
});
