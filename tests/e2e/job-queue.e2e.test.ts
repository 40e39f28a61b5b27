/**
 * Jobs wait their turn (issue 10, item 4), as a clinician meets it in Chromium through
 * `ssmtl serve`: a pre-training runs, a fine-tuning started on the Review screen shows
 * "queued" with its place and why, no fine-tuning process starts, and cancelling it there
 * takes it out of the queue. The queue's rules: src/engine/node/studio/job-queue.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { SHOTS, hasChromium, openSmallSeries, startTinyPretrain, type SmallSeriesSession } from './serve-session.ts';

/** The job processes `serve` has forked, by their entry's name (pretrain-child, finetune-child…). */
function jobChildren(servePid: number): string[] {
  const ps = spawnSync('ps', ['-o', 'args=', '--ppid', String(servePid)], { encoding: 'utf8' });
  return ps.stdout.split('\n').flatMap((line) => line.match(/(\w+)-child/)?.[1] ?? []);
}

describe.skipIf(!hasChromium)('a second training job waits as queued', () => {
  let session: SmallSeriesSession;
  let page: Page;

  beforeAll(async () => {
    session = await openSmallSeries(24, 4);
    page = session.page;
  }, 300_000);
  afterAll(async () => {
    await session?.close();
  });

  it('shows the fine-tuning queued behind the pre-training, and cancels it without starting it', async () => {
    await page.getByTestId('nav-train').click();
    await startTinyPretrain(page, 500);

    await page.getByTestId('nav-review').click();
    await page.getByTestId('finetune-epochs').fill('5');
    await page.getByTestId('finetune-start').click();
    const progress = page.getByTestId('job-progress');
    await expect.poll(() => progress.getAttribute('data-state'), { timeout: 10_000 }).toBe('queued');
    expect(await progress.textContent()).toMatch(/^queued \(next\): 1 training job running · 0%/);
    // The header names the running pre-training and counts the one waiting.
    await expect.poll(() => page.locator('header').textContent()).toMatch(/Pre-training .* · \d+% · 1 queued/);
    await page.screenshot({ path: join(SHOTS, 'job-queue-01-queued.png') });
    expect(jobChildren(session.serve.server.pid!)).toEqual(['pretrain']);

    await page.getByTestId('job-cancel').click();
    await expect.poll(() => progress.getAttribute('data-state'), { timeout: 10_000 }).toBe('cancelled');
    expect(await page.locator('.job').first().textContent()).toContain('Cancelled before it started.');
    await page.screenshot({ path: join(SHOTS, 'job-queue-02-cancelled.png') });
    expect(jobChildren(session.serve.server.pid!)).toEqual(['pretrain']);

    await page.getByTestId('nav-train').click();
    await page.getByTestId('job-cancel').click();
    await expect.poll(() => page.getByTestId('job-progress').getAttribute('data-state'), { timeout: 60_000 }).toBe('cancelled');
    expect(session.errors).toEqual([]);
  }, 300_000);
});
