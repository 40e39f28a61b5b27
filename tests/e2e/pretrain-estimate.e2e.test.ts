/**
 * The Pre-train form warns before starting when a run would take hours on the compute it
 * would run on (issue 13, item 3), from a training step the engine times there: in
 * Chromium through `ssmtl serve`, with no GPU lent (Chromium runs with --disable-gpu), the
 * paper's settings warn; the quick trial only informs.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { SHOTS, hasChromium, openSmallSeries, type SmallSeriesSession } from './serve-session.ts';

describe.skipIf(!hasChromium)("the pre-training's time, before starting", () => {
  let session: SmallSeriesSession;
  let page: Page;

  beforeAll(async () => {
    session = await openSmallSeries(24, 0);
    page = session.page;
    await page.getByTestId('nav-train').click();
  }, 300_000);

  afterAll(async () => {
    if (session) expect(await session.close()).toBe(0);
  }, 60_000);

  const estimate = (on: Page) => on.getByTestId('pretrain-estimate');
  const settled = async () => {
    await expect.poll(() => estimate(page).getAttribute('data-state'), { timeout: 120_000 }).toMatch(/long|short/);
    return { state: await estimate(page).getAttribute('data-state'), text: (await estimate(page).textContent())?.trim() };
  };

  it("warns that settings near the paper's take hours on this computer's CPU, and says what to change", async () => {
    // The paper's slices at half its width for ten times its epochs: hours here too, timed sooner.
    await page.getByRole('button', { name: 'Paper (GPU)' }).click();
    await page.getByTestId('pretrain-width').fill('32');
    await page.getByTestId('pretrain-epochs').fill('1000');
    const { state, text } = await settled();
    expect(state).toBe('long');
    expect(text).toMatch(/^About \d+(\.5)? (h|days) on this computer's CPU\. Consider fewer epochs, a smaller image size, or the GPU\.$/);
    await page.screenshot({ path: join(SHOTS, 'pretrain-estimate-paper.png') });
  }, 150_000);

  it('only informs for the quick trial', async () => {
    await page.getByRole('button', { name: 'Quick trial (CPU)' }).click();
    const { state, text } = await settled();
    expect(state).toBe('short');
    expect(text).toMatch(/^About \d+ (s|min) on this computer's CPU\.$/);
  }, 150_000);
});
