/**
 * The three orthogonal views, as a clinician uses them, in Chromium through `ssmtl serve`
 * on a small axial series of the sample: the coronal and sagittal views beside the axial
 * one with the annotations drawn in all three, a stroke painted in the axial view showing
 * across, crosshairs that move the axial view (up in the coronal view is superior),
 * hidden labels hidden everywhere, V for one view or three, and a model's predictions
 * drawn across the slices in Review.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ViewerCanvas } from './viewer-canvas.ts';
import { ROOT, SHOTS, hasChromium, openSmallSeries, type SmallSeriesSession } from './serve-session.ts';

describe.skipIf(!hasChromium)('the three orthogonal views', () => {
  let session: SmallSeriesSession;
  let page: Page;
  let axial: ViewerCanvas;
  let coronal: ViewerCanvas;
  let sagittal: ViewerCanvas;
  let labels: number[];

  const reformatsReady = () => page.locator('[data-testid=view-coronal][data-ready=true]').waitFor({ timeout: 60_000 });
  /** Pixels of any palette colour in a view. */
  const labelled = async (view: ViewerCanvas) => {
    let sum = 0;
    for (const value of labels) sum += await view.labelColourCount(value);
    return sum;
  };
  const eventually = (check: () => Promise<boolean>, what: string) => axial.eventually(check, what, 10_000);
  const sliceIndex = async () => Number(await page.getByTestId('slice-index').getAttribute('data-index'));

  beforeAll(async () => {
    session = await openSmallSeries(24, 8);
    page = session.page;
    axial = new ViewerCanvas(page);
    coronal = new ViewerCanvas(page, 'view-coronal');
    sagittal = new ViewerCanvas(page, 'view-sagittal');
    labels = await page
      .locator('[data-testid^=label-visible-]')
      .evaluateAll((boxes) => boxes.map((b) => Number(b.getAttribute('data-testid')!.replace('label-visible-', ''))));
    await reformatsReady();
  }, 300_000);

  afterAll(async () => {
    if (session) expect(await session.close()).toBe(0);
  }, 60_000);

  it('shows the coronal and sagittal views beside the axial one, with the annotations in all three', async () => {
    // The sample is acquired axially: the main view is the axial one.
    expect(await page.locator('[data-testid=view-axial] [data-testid=viewport]').count()).toBe(1);
    for (const view of [coronal, sagittal]) {
      await eventually(async () => (await view.view([], 1)).bright > 500, 'a reformatted view draws the image');
      await eventually(async () => (await labelled(view)) > 50, 'a reformatted view draws the annotated slices');
    }
    // Radiological convention: the patient's right on the screen's left, head at the top, anterior on the left.
    const letters = (plane: string) =>
      Promise.all(
        ['left', 'right', 'top', 'bottom'].map(async (side) =>
          (await page.getByTestId(`orientation-${plane}-${side}`).textContent())?.trim(),
        ),
      );
    expect(await letters('coronal')).toEqual(['R', 'L', 'S', 'I']);
    expect(await letters('sagittal')).toEqual(['A', 'P', 'S', 'I']);
    await page.screenshot({ path: join(SHOTS, 'orthogonal-views.png') });
  }, 120_000);

  it('draws a stroke painted in the axial view in the coronal and sagittal views', async () => {
    const annotated = new Set(session.annotatedSlices);
    const target = [...Array(24).keys()].find((k) => k > 6 && !annotated.has(k) && !annotated.has(k - 1) && !annotated.has(k + 1))!;
    await page.locator(`[data-testid=slice-strip] button[data-index="${target}"]`).click();
    await expect.poll(sliceIndex, { timeout: 10_000 }).toBe(target);
    // The views across cut through the middle of the axial view: a stroke across it is on both.
    const before = { coronal: await labelled(coronal), sagittal: await labelled(sagittal) };
    await page.getByTestId('tool-brush').click();
    const box = await axial.box();
    await axial.drag({ x: box.width * 0.35, y: box.height / 2 }, { x: box.width * 0.65, y: box.height / 2 });
    await eventually(async () => (await axial.savedCounts(session.seriesId, target)).size > 0, 'the stroke is saved');
    await eventually(async () => (await labelled(coronal)) > before.coronal + 20, 'the stroke shows in the coronal view');
    await eventually(async () => (await labelled(sagittal)) > before.sagittal, 'the stroke shows in the sagittal view');
    await page.screenshot({ path: join(SHOTS, 'orthogonal-views-stroke.png') });
    // Undo takes it out of every view.
    await page.getByTestId('undo').click();
    await eventually(async () => (await labelled(coronal)) <= before.coronal + 5, 'undo takes the stroke out of the coronal view');
  }, 120_000);

  it('moves the axial view to the slice clicked in the coronal view: up is superior', async () => {
    const box = await coronal.box();
    const position = async () => Number(((await page.getByTestId('slice-position').textContent()) ?? '').match(/-?\d+\.\d/)![0]);
    const start = await sliceIndex();
    await coronal.click({ x: box.width / 2, y: box.height * 0.6 });
    await expect.poll(sliceIndex, { timeout: 10_000 }).not.toBe(start);
    const lower = await position();
    // The axial plane, a horizontal reference line across the sagittal view, sits lower there.
    const axialLineY = () =>
      page.evaluate(`(() => {
        const lines = [...document.querySelectorAll('[data-testid=view-sagittal] svg line')];
        const across = lines.find((l) => Math.abs(l.y1.baseVal.value - l.y2.baseVal.value) < 1);
        return across ? across.y1.baseVal.value : null;
      })()`) as Promise<number | null>;
    await expect.poll(axialLineY, { timeout: 10_000 }).not.toBeNull();
    const lineAtLower = (await axialLineY())!;
    await coronal.click({ x: box.width / 2, y: box.height * 0.4 });
    await expect.poll(position, { timeout: 10_000 }).toBeGreaterThan(lower);
    const upper = await position();
    // …and follows the axial view up (screen y grows downwards).
    await expect.poll(async () => (await axialLineY())!, { timeout: 10_000 }).toBeLessThan(lineAtLower - 5);
    // A click in the sagittal view moves the axial view as well.
    const sagittalBox = await sagittal.box();
    await sagittal.click({ x: sagittalBox.width / 2, y: sagittalBox.height * 0.6 });
    await expect.poll(position, { timeout: 10_000 }).toBeLessThan(upper);
    await page.screenshot({ path: join(SHOTS, 'orthogonal-views-crosshairs.png') });
  }, 120_000);

  it('hides a hidden label in the views across too', async () => {
    const counts = await Promise.all(labels.map((value) => coronal.labelColourCount(value)));
    const value = labels[counts.indexOf(Math.max(...counts))];
    const shown = Math.max(...counts);
    expect(shown).toBeGreaterThan(20);
    await page.getByTestId(`label-visible-${value}`).uncheck();
    await eventually(async () => (await coronal.labelColourCount(value)) < shown * 0.05, `label ${value} hides in the coronal view`);
    await page.getByTestId(`label-visible-${value}`).check();
    await eventually(async () => (await coronal.labelColourCount(value)) > shown * 0.8, `label ${value} shows again`);
  }, 120_000);

  it('shows the axial view alone with V, and the three views again', async () => {
    await page.keyboard.press('v');
    await expect.poll(() => page.getByTestId('view-coronal').count(), { timeout: 10_000 }).toBe(0);
    await page.locator('[data-testid=viewport][data-ready=true]').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('three-views').getAttribute('class')).not.toContain('active');
    await page.keyboard.press('v');
    await reformatsReady();
    expect(session.errors).toEqual([]);
  }, 120_000);

  it("draws a model's predictions in the views across the slices", async () => {
    // A small model trained and run by the CLI (as on another workstation), then reviewed here.
    const cli = (...args: string[]) => promisify(execFile)(process.execPath, [join(ROOT, 'bin', 'ssmtl.mjs'), ...args]);
    const workspace = session.serve.workspace;
    await cli('finetune', '--workspace', workspace, '--name', 'tiny', '--init', 'none', '--size', '64', '--width', '8', '--epochs', '40');
    await cli('predict', '--workspace', workspace, '--model', 'tiny', '--series', session.seriesId);
    await page.reload();
    await page.getByTestId('nav-review').click();
    await reformatsReady();
    await page.getByTestId('overlay-opacity').fill('1');
    await page.getByTestId('show-prediction').check();
    await page.getByTestId('overlay-model').selectOption('tiny');
    const across = async () => (await labelled(coronal)) + (await labelled(sagittal));
    await page.waitForTimeout(1500);
    const withPredictions = await across();
    await page.screenshot({ path: join(SHOTS, 'orthogonal-views-predictions.png') });
    await page.getByTestId('overlay-model').selectOption({ index: 0 });
    await eventually(async () => (await across()) < withPredictions - 50, 'the predictions leave the views across with the overlay');
    expect(session.errors).toEqual([]);
  }, 240_000);
});
