/**
 * The PACS source in Library, as a clinician uses it, through `ssmtl serve` and Debian's
 * Chromium against a real PACS (Orthanc, tests/helpers/orthanc.ts): add the PACS with a
 * login, test it, a wrong search then a right one, tick the series, retrieve it (an
 * import job), find it in the series list; on Export, the store button says why it waits.
 * Screenshots go to test-results/e2e/pacs-*.png.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ORTHANC_PASSWORD, ORTHANC_USER, orthancMissing, startOrthanc, type RunningOrthanc } from '../helpers/orthanc.ts';
import { runCli } from '../helpers/run-cli.ts';
import { SHOTS, hasChromium, launchChromium, startServe, type ServeSession } from './serve-session.ts';

const missing = orthancMissing();

describe.skipIf(!hasChromium || missing !== null)(`the PACS source in the interface${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let dir = '';
  let orthanc: RunningOrthanc;
  let serve: ServeSession;
  let browser: Browser;
  let page: Page;
  let series = '';
  const errors: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ssmtl-pacs-e2e-'));
    const sample = await runCli(['sample', '--out', join(dir, 'sample'), '--subjects', '1', '--slices', '24', '--size', '64', '--json']);
    expect(sample.code, sample.stderr).toBe(0);
    const made = sample.json().series[0];
    series = made.id;
    orthanc = await startOrthanc(join(dir, 'orthanc'));
    await orthanc.upload(readdirSync(made.dicom).map((name: string) => join(made.dicom, name)));
    serve = await startServe();
    browser = await launchChromium(['--disable-gpu']);
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(serve.url);
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    if (serve) expect(await serve.stop()).toBe(0);
    await orthanc?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `pacs-${name}.png`), fullPage: true });

  it('adds a PACS, searches it, retrieves a series into the workspace, and never writes the password', async () => {
    const source = page.getByTestId('pacs-source');
    await source.waitFor();
    await page.getByTestId('pacs-name').fill('orthanc');
    await page.getByTestId('pacs-url').fill(orthanc.dicomweb);
    await page.getByTestId('pacs-auth').selectOption('basic');
    await page.getByTestId('pacs-user').fill(ORTHANC_USER);
    await page.getByTestId('pacs-save').click();
    await expect.poll(() => page.getByTestId('pacs-settings-problem').textContent()).toMatch(/enter the password/);
    await page.getByTestId('pacs-secret').fill(ORTHANC_PASSWORD);
    await shot('1-settings');
    await page.getByTestId('pacs-save').click();
    await page.getByTestId('pacs-echo').click();
    await expect.poll(() => page.getByTestId('pacs-message').textContent()).toMatch(/orthanc answers \(dicomweb, \d+ ms\)/);

    await page.getByTestId('pacs-modality').fill('MR');
    await page.getByTestId('pacs-search').click();
    await expect.poll(() => page.getByTestId('pacs-message').textContent()).toBe('No study matches.');
    await page.getByTestId('pacs-modality').fill('ct');
    await page.getByTestId('pacs-description').fill('thorax');
    await page.getByTestId('pacs-search').click();
    await page.getByTestId('pacs-result').first().waitFor();
    expect(await page.getByTestId('pacs-result').count()).toBe(1);
    expect(await page.getByTestId('pacs-result').textContent()).toMatch(/SAMPLE-01.*CT.*24/);
    await page.getByTestId('pacs-result').click();
    await shot('2-results');
    await page.getByTestId('pacs-retrieve').click();
    await expect.poll(() => source.getByTestId('job-progress').getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
    await page.getByTestId('series-item').first().waitFor();
    expect(await page.getByTestId('series-item').count()).toBe(1);
    expect(await page.getByTestId('series-list').textContent()).toContain(series);
    await shot('3-retrieved');

    // The catalogue holds the entry, not its secret.
    for (const name of readdirSync(serve.workspace).filter((n) => n.startsWith('catalogue.sqlite'))) {
      expect(readFileSync(join(serve.workspace, name)).includes(ORTHANC_PASSWORD)).toBe(false);
    }
    expect(errors).toEqual([]);
  }, 180_000);

  it("offers Export's store to PACS once a model has segmented the series", async () => {
    await page
      .getByRole('button', { name: /Export/ })
      .first()
      .click();
    const button = page.getByTestId('export-pacs-store');
    await button.waitFor();
    expect(await button.isDisabled()).toBe(true);
    expect(await button.getAttribute('title')).toMatch(/Choose a model's prediction/);
    await shot('4-export');
  });
});
