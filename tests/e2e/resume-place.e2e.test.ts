/**
 * Come back where you were (issue 13, item 9), in Chromium through `ssmtl serve` on a
 * small series of the sample: a reload returns to the screen, series, slice and tool in
 * use; the Review screen opens the series the Annotate screen showed; the Pre-train form
 * of a running pre-training shows that run's settings after a reload, not the defaults.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { SHOTS, hasChromium, openSmallSeries, type SmallSeriesSession } from './serve-session.ts';

describe.skipIf(!hasChromium)('coming back where you were', () => {
  let session: SmallSeriesSession;
  let page: Page;

  beforeAll(async () => {
    session = await openSmallSeries(24, 0);
    page = session.page;
  }, 300_000);

  afterAll(async () => {
    if (session) expect(await session.close()).toBe(0);
  }, 60_000);

  const shownIndex = async () => Number(await page.getByTestId('slice-index').getAttribute('data-index'));
  const activeScreen = () => page.locator('nav button.active').getAttribute('data-testid');

  async function reload(): Promise<void> {
    await page.reload();
    await page.getByTestId('compute-badge').waitFor();
  }

  it('returns to the Annotate screen, the series, the slice and the tool after a reload', async () => {
    await page.locator('[data-testid=slice-strip] button[data-index="17"]').click();
    await expect.poll(shownIndex, { timeout: 10_000 }).toBe(17);
    await page.getByTestId('tool-eraser').click();

    await reload();
    await page.locator('[data-testid=viewport][data-ready=true]').waitFor({ timeout: 60_000 });
    await expect.poll(activeScreen, { timeout: 10_000 }).toBe('nav-annotate');
    expect(await page.getByTestId('series-picker').inputValue()).toBe(session.seriesId);
    expect(await shownIndex()).toBe(17);
    expect((await page.getByTestId('slice-index').textContent())?.trim()).toBe('18');
    expect(await page.getByTestId('tool-eraser').getAttribute('class')).toContain('active');
    await page.screenshot({ path: join(SHOTS, 'resume-annotate-after-reload.png') });
  }, 120_000);

  it('opens the series and slice being worked on in Review, and comes back to Review', async () => {
    await page.getByTestId('nav-review').click();
    await page.locator('[data-testid=viewport][data-ready=true]').waitFor({ timeout: 60_000 });
    expect(await shownIndex()).toBe(17);
    await page.keyboard.press('ArrowDown');
    await expect.poll(shownIndex, { timeout: 10_000 }).toBe(18);
    await page.keyboard.press('ArrowDown');
    await expect.poll(shownIndex, { timeout: 10_000 }).toBe(19);

    await reload();
    await page.locator('[data-testid=viewport][data-ready=true]').waitFor({ timeout: 60_000 });
    await expect.poll(activeScreen, { timeout: 10_000 }).toBe('nav-review');
    expect(await page.getByTestId('series-picker').inputValue()).toBe(session.seriesId);
    expect(await shownIndex()).toBe(19);
  }, 120_000);

  it("shows a running pre-training's settings in the Pre-train form after a reload", async () => {
    await page.getByTestId('nav-train').click();
    await page.getByTestId('pretrain-size').fill('32');
    await page.getByTestId('pretrain-width').fill('4');
    await page.getByTestId('pretrain-batch').fill('2');
    await page.getByTestId('pretrain-epochs').fill('500');
    await page.getByTestId('pretrain-start').click();
    await expect.poll(() => page.getByTestId('job-progress').getAttribute('data-state'), { timeout: 30_000 }).toMatch(/starting|running/);

    await reload();
    await expect.poll(activeScreen, { timeout: 10_000 }).toBe('nav-train');
    await expect.poll(() => page.getByTestId('pretrain-size').inputValue(), { timeout: 10_000 }).toBe('32');
    expect(await page.getByTestId('pretrain-width').inputValue()).toBe('4');
    expect(await page.getByTestId('pretrain-batch').inputValue()).toBe('2');
    expect(await page.getByTestId('pretrain-epochs').inputValue()).toBe('500');
    await page.screenshot({ path: join(SHOTS, 'resume-pretrain-after-reload.png') });
    await page.getByTestId('job-cancel').click();
    await expect.poll(() => page.getByTestId('job-progress').getAttribute('data-state'), { timeout: 60_000 }).toBe('cancelled');
  }, 180_000);
});
