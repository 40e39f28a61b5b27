/**
 * The viewer as a radiologist reads it (1-based slices with their position, orientation
 * letters, window and HU under the pointer), per-label visibility, and an empty folder's
 * import, in Chromium through `ssmtl serve` on a small series of the sample (imported by
 * the CLI). Tool switching has its own suite: tool-switch.e2e.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ViewerCanvas } from './viewer-canvas.ts';
import { SHOTS, hasChromium, openSmallSeries, workspaceInfo, type SmallSeriesSession } from './serve-session.ts';

describe.skipIf(!hasChromium)('the viewer', () => {
  let session: SmallSeriesSession;
  let page: Page;
  let canvas: ViewerCanvas;
  let seriesId: string;
  let annotatedSlices: number[];
  let slice = 0;
  let errors: string[];

  beforeAll(async () => {
    session = await openSmallSeries(24, 12);
    ({ page, seriesId, annotatedSlices, errors } = session);
    canvas = new ViewerCanvas(page);
  }, 300_000);

  afterAll(async () => {
    if (session) expect(await session.close()).toBe(0);
  }, 60_000);

  const savedCounts = () => canvas.savedCounts(seriesId, slice);
  const eventually = (check: () => Promise<boolean>, what: string, timeoutMs?: number) => canvas.eventually(check, what, timeoutMs);

  async function goToSlice(k: number): Promise<void> {
    slice = k;
    await page.locator(`[data-testid=slice-strip] button[data-index="${k}"]`).click();
    await expect.poll(async () => Number(await page.getByTestId('slice-index').getAttribute('data-index')), { timeout: 10_000 }).toBe(k);
  }

  it('suggests evenly spaced slices to annotate next and says why, in words and in its tooltip', async () => {
    const why = (await page.getByTestId('suggestion-why').getAttribute('title')) ?? '';
    expect(why).toMatch(/^Evenly spaced slices: on the built-in sample/);
    const suggested = page.locator('[data-testid=slice-strip] button.suggested');
    expect(await suggested.count()).toBeGreaterThan(0);
    expect(await suggested.first().getAttribute('title')).toContain(`suggested next. ${why}`);
    // spread through the scan: no suggestion next to an annotated slice or to another suggestion
    const picks = await suggested.evaluateAll((ticks) => ticks.map((t) => Number(t.getAttribute('data-index'))));
    const taken = [...annotatedSlices, ...picks];
    for (const k of picks) expect(Math.min(...taken.filter((j) => j !== k).map((j) => Math.abs(j - k)))).toBeGreaterThanOrEqual(2);
    await page.screenshot({ path: join(SHOTS, 'viewer-suggested-slices.png') });
  });

  it('reads like a radiology viewer: 1-based slices with their position, orientation letters, window and HU under the pointer', async () => {
    await goToSlice(10);
    const text = async (id: string) => (await page.getByTestId(id).textContent())?.trim() ?? '';
    expect(await text('slice-index')).toBe('11');
    const position = async () => Number((await text('slice-position')).match(/(-?\d+\.\d) mm/)![1]);
    const at10 = await position();
    await goToSlice(11);
    expect(await text('slice-index')).toBe('12');
    const spacing = workspaceInfo(session.serve.workspace).series[0].spacing[2];
    // Positions are shown to 0.1 mm.
    expect(Math.abs(Math.abs((await position()) - at10) - spacing)).toBeLessThanOrEqual(0.11);
    // The sample is an axial CT: the patient's right on the screen's left, anterior at the top.
    expect([
      await text('orientation-left'),
      await text('orientation-right'),
      await text('orientation-top'),
      await text('orientation-bottom'),
    ]).toEqual(['R', 'L', 'A', 'P']);
    // CT opens in its soft-tissue window; the readout follows a window/level drag.
    expect(await text('window-readout')).toBe('W 400 L 40');
    const box = await canvas.box();
    // Air beside the body reads about -1000 HU; inside the body, tissue values.
    await page.mouse.move(box.x + box.width / 2, box.y + 8);
    await eventually(async () => /^-\d+ HU · x \d+ y \d+$/.test(await text('pixel-value')), 'the value under the pointer shows');
    expect(Number((await text('pixel-value')).split(' ')[0])).toBeLessThan(-500);
    await page.getByTestId('tool-windowLevel').click();
    await canvas.drag({ x: box.width / 2, y: box.height / 2 }, { x: box.width / 2 + 60, y: box.height / 2 + 30 });
    await eventually(async () => (await text('window-readout')) !== 'W 400 L 40', 'the window readout follows the drag');
    await page.screenshot({ path: join(SHOTS, 'viewer-radiology-readouts.png') });
    await page.getByTestId('window-preset').selectOption('soft');
    await eventually(async () => (await text('window-readout')) === 'W 400 L 40', 'the preset sets the window back');
    await page.getByTestId('tool-brush').click();
  }, 120_000);

  it('moves one slice per arrow press, however quick the presses come', async () => {
    await goToSlice(4);
    const index = async () => Number(await page.getByTestId('slice-index').getAttribute('data-index'));
    // A burst of presses (a held key repeats faster than a slice shows on a slow machine):
    // each comes before the slice of the one before is on screen.
    const burst = (key: string, times: number) =>
      page.evaluate(
        `(() => { for (let i = 0; i < ${times}; i++) window.dispatchEvent(new KeyboardEvent('keydown', { key: '${key}' })); })()`,
      );
    await burst('ArrowDown', 6);
    await expect.poll(index, { timeout: 10_000 }).toBe(10);
    await burst('ArrowUp', 3);
    await expect.poll(index, { timeout: 10_000 }).toBe(7);
  }, 60_000);

  it('hides and shows each label on screen, whichever is selected, and saves nothing for it', async () => {
    await goToSlice(annotatedSlices[Math.floor(annotatedSlices.length / 2)]);
    const saved = await savedCounts();
    const present = [...saved.keys()];
    expect(present.length).toBeGreaterThanOrEqual(2);
    await page.getByTestId(`label-${present[0]}`).click();
    for (const value of present) {
      const before = new Map(await Promise.all(present.map(async (v) => [v, await canvas.labelColourCount(v)] as const)));
      expect(before.get(value), `label ${value} shows before it is hidden`).toBeGreaterThan(50);
      await page.getByTestId(`label-visible-${value}`).uncheck();
      await eventually(
        async () => (await canvas.labelColourCount(value)) < before.get(value)! * 0.05,
        `label ${value} disappears when hidden`,
      );
      for (const other of present.filter((v) => v !== value))
        expect(await canvas.labelColourCount(other), `label ${other} stays while ${value} is hidden`).toBeGreaterThan(
          before.get(other)! * 0.5,
        );
      await page.screenshot({ path: join(SHOTS, `viewer-label-${value}-hidden.png`) });
      await page.getByTestId(`label-visible-${value}`).check();
      await eventually(
        async () => (await canvas.labelColourCount(value)) > before.get(value)! * 0.8,
        `label ${value} comes back when shown`,
      );
    }
    expect(await savedCounts()).toEqual(saved);
  }, 120_000);

  it('says an empty folder imported nothing, instead of a green "done · 100%"', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'ssmtl-empty-'));
    try {
      await page.getByTestId('nav-library').click();
      await page.getByTestId('import-path').fill(empty);
      await page.getByTestId('import-start').click();
      await page.getByTestId('import-nothing').waitFor({ timeout: 60_000 });
      const progress = page.getByTestId('job-progress');
      expect(await progress.getAttribute('data-state')).toBe('done');
      expect(await progress.textContent()).toBe('nothing imported');
      expect(await page.getByTestId('import-nothing').textContent()).toContain('No DICOM or NIfTI series was found there');
      await page.screenshot({ path: join(SHOTS, 'viewer-import-empty-folder.png') });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    expect(errors).toEqual([]);
  }, 120_000);
});
