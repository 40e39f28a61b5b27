/**
 * The interface end to end, as a new user meets it: `ssmtl serve` on an empty workspace,
 * Debian's Chromium driven by playwright-core. Import the built-in sample, scroll, paint
 * a stroke, reload and find it, pre-train, fine-tune, see the predicted overlay drawn on
 * the canvas (pixels, not only the DOM), export a DICOM SEG. Screenshots of every screen
 * go to test-results/e2e/.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  SHOTS,
  annotateFromSampleTruth,
  hasChromium,
  launchChromium,
  startServe,
  startTinyPretrain,
  workspaceInfo,
  type ServeSession,
} from './serve-session.ts';
import { ViewerCanvas, countLabels } from './viewer-canvas.ts';

describe.skipIf(!hasChromium)('the interface through ssmtl serve', () => {
  let serve: ServeSession;
  let workspace: string;
  let url: string;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  // What Cornerstone logs (and catches) when a viewport is torn down badly: a second
  // session on one element, WebGL contexts piling up until the browser drops live ones.
  const teardownLogs: string[] = [];

  beforeAll(async () => {
    serve = await startServe();
    ({ workspace, url } = serve);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);
    // launch() gives the browser a fresh temporary profile of its own.
    browser = await launchChromium(['--disable-gpu']);
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (/error in event listener|Cannot convert undefined or null|WebGL context lost|Too many active WebGL contexts/.test(message.text()))
        teardownLogs.push(message.text().slice(0, 300));
    });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    // CONTRACT.md: SIGTERM finishes what is in flight and exits 0.
    if (serve) expect(await serve.stop()).toBe(0);
  }, 120_000);

  async function shot(name: string): Promise<void> {
    await page.screenshot({ path: join(SHOTS, `${name}.png`) });
  }

  /** Pixels of the viewport as the screen shows them (the WebGL canvas plus overlays). */
  async function viewportPixels(): Promise<{
    colored: number;
    bright: number;
    redAt: (x: number, y: number) => boolean;
    width: number;
    height: number;
  }> {
    const png = await page.getByTestId('viewport').screenshot();
    // Decoded by the browser itself (this test's TypeScript has no DOM types: a string expression).
    const decoded = (await page.evaluate(`(async () => {
      const image = new Image();
      image.src = 'data:image/png;base64,${png.toString('base64')}';
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = image.width;
      canvas.height = image.height;
      const context = canvas.getContext('2d');
      context.drawImage(image, 0, 0);
      return { width: image.width, height: image.height, data: Array.from(context.getImageData(0, 0, image.width, image.height).data) };
    })()`)) as { width: number; height: number; data: number[] };
    let colored = 0;
    let bright = 0;
    const { data, width, height } = decoded;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
      // Grey CT is r = g = b; a label overlay is saturated.
      if (Math.max(r, g, b) - Math.min(r, g, b) > 60) colored++;
      if (r + g + b > 150) bright++;
    }
    const redAt = (x: number, y: number) => {
      const i = 4 * (Math.round(y) * width + Math.round(x));
      return data[i] > 120 && data[i] - data[i + 1] > 60 && data[i] - data[i + 2] > 60;
    };
    return { colored, bright, redAt, width, height };
  }

  /** Whether one point of the viewport shows a red label (a 1-pixel screenshot: cheap). */
  async function redPointAt(x: number, y: number): Promise<boolean> {
    const box = (await page.getByTestId('viewport').boundingBox())!;
    const png = await page.screenshot({ clip: { x: box.x + x, y: box.y + y, width: 1, height: 1 } });
    const [r, g, b] = (await page.evaluate(`(async () => {
      const image = new Image();
      image.src = 'data:image/png;base64,${png.toString('base64')}';
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = 1;
      const context = canvas.getContext('2d');
      context.drawImage(image, 0, 0);
      return Array.from(context.getImageData(0, 0, 1, 1).data);
    })()`)) as number[];
    return r > 120 && r - g > 60 && r - b > 60;
  }

  async function openFirstSeries(): Promise<void> {
    await page.getByTestId('series-item').first().click();
    await page.locator('[data-testid=viewport][data-ready=true]').waitFor({ timeout: 60_000 });
    await page.waitForTimeout(500);
  }

  async function sliceIndex(): Promise<number> {
    return Number(await page.getByTestId('slice-index').getAttribute('data-index'));
  }

  it('refuses requests without the token or from another origin', async () => {
    const base = new URL(url);
    expect((await fetch(new URL('/', base))).status).toBe(403);
    expect((await fetch(url, { headers: { Origin: 'http://evil.example' } })).status).toBe(403);
    const cookieless = await fetch(new URL('/api/series/x/slices/0', base));
    expect(cookieless.status).toBe(403);
  });

  let paintedSlice = -1;
  const stroke = { x: 0, y: 0 };

  it('imports the built-in sample, shows the series and scrolls through slices', async () => {
    await page.goto(url);
    await page.getByTestId('series-list').waitFor({ state: 'attached' });
    expect(new URL(page.url()).searchParams.has('token')).toBe(false);
    await shot('01-library-empty');
    await page.getByTestId('import-sample').click();
    await expect.poll(() => page.getByTestId('series-item').count(), { timeout: 180_000, interval: 500 }).toBe(4);
    await page.waitForTimeout(1000);
    await shot('02-library-imported');

    await openFirstSeries();
    const before = await sliceIndex();
    const pixels = await viewportPixels();
    expect(pixels.bright).toBeGreaterThan(pixels.width * pixels.height * 0.05);
    await page.getByTestId('viewport').hover();
    await page.mouse.wheel(0, 400);
    await expect.poll(sliceIndex, { timeout: 5000 }).not.toBe(before);
    paintedSlice = await sliceIndex();
    await shot('03-viewer');
  }, 300_000);

  it('paints a brush stroke that is saved and still there after a reload', async () => {
    await page.getByTestId('label-500').click();
    await page.getByTestId('tool-brush').click();
    const box = (await page.getByTestId('viewport').boundingBox())!;
    stroke.x = box.width / 2 - 30;
    stroke.y = box.height / 2 + 60;
    const before = await viewportPixels();
    expect(before.redAt(stroke.x + 30, stroke.y)).toBe(false);
    await page.mouse.move(box.x + stroke.x, box.y + stroke.y);
    await page.mouse.down();
    for (let i = 1; i <= 12; i++) await page.mouse.move(box.x + stroke.x + i * 5, box.y + stroke.y, { steps: 2 });
    await page.mouse.up();
    await expect.poll(async () => page.getByTestId('annotated-count').textContent(), { timeout: 10_000 }).toBe('1');
    const painted = await viewportPixels();
    expect(painted.redAt(stroke.x + 30, stroke.y)).toBe(true);
    await shot('04-annotated');

    await page.reload();
    // It comes back where it was: the Annotate screen, this series, the painted slice.
    await page.locator('[data-testid=viewport][data-ready=true]').waitFor({ timeout: 60_000 });
    await expect.poll(sliceIndex, { timeout: 5000 }).toBe(paintedSlice);
    // The slice strip marks the painted slice as annotated; go there through it.
    const tick = page.locator(`[data-testid=slice-strip] button[data-index="${paintedSlice}"]`);
    expect(await tick.getAttribute('class')).toContain('annotated');
    await tick.click();
    await expect.poll(sliceIndex, { timeout: 5000 }).toBe(paintedSlice);
    expect(await page.getByTestId('annotated-count').textContent()).toBe('1');
    await page.waitForTimeout(500);
    const reloaded = await viewportPixels();
    await shot('05-annotated-after-reload');
    expect(reloaded.redAt(stroke.x + 30, stroke.y)).toBe(true);

    // Fill inside a painted ring, undo it: the ring stays, the fill goes, and what is
    // saved is the ring again (Cornerstone's fill tool records no undo step of its own).
    const seriesId = await page.getByTestId('series-picker').inputValue();
    const savedCount = async () =>
      (await page.evaluate(`(async () => {
        const response = await fetch('api/series/${encodeURIComponent(seriesId)}/annotations/${paintedSlice}', { cache: 'no-store' });
        return response.ok ? new Uint16Array(await response.arrayBuffer()).filter((v) => v !== 0).length : -1;
      })()`)) as number;
    const ring = { x: box.width / 2 + 60, y: box.height / 2 - 70, r: 28 };
    const beforeRing = await savedCount();
    await page.getByTestId('label-500').click();
    await page.mouse.move(box.x + ring.x + ring.r, box.y + ring.y);
    await page.mouse.down();
    for (let i = 1; i <= 12; i++)
      await page.mouse.move(box.x + ring.x + ring.r * Math.cos((i * Math.PI) / 6), box.y + ring.y + ring.r * Math.sin((i * Math.PI) / 6));
    await page.mouse.up();
    // Saves run during a stroke too: wait for the last one (two equal reads in a row).
    let withRing = -1;
    const settled = async () => {
      const first = await savedCount();
      await page.waitForTimeout(300);
      withRing = await savedCount();
      return first === withRing && withRing > beforeRing;
    };
    await expect.poll(settled, { timeout: 8000 }).toBe(true);
    await page.getByTestId('tool-fill').click();
    await page.mouse.click(box.x + ring.x, box.y + ring.y);
    await expect.poll(() => redPointAt(ring.x, ring.y), { timeout: 3000 }).toBe(true);
    await expect.poll(savedCount, { timeout: 5000 }).toBeGreaterThan(withRing);
    await page.keyboard.press('Control+z');
    await expect.poll(() => redPointAt(ring.x, ring.y), { timeout: 3000 }).toBe(false);
    expect(await redPointAt(ring.x + ring.r, ring.y)).toBe(true);
    await expect.poll(savedCount, { timeout: 5000 }).toBe(withRing);
    await page.getByTestId('tool-brush').click();
  }, 300_000);

  it('pre-trains a tiny model from the interface', async () => {
    await page.getByTestId('nav-train').click();
    // The paper's three methods, each with a line on what it does; MoCo v2 has no slice distance.
    await page.getByTestId('pretrain-method').selectOption('ssmtl+');
    expect(await page.getByTestId('pretrain-method-summary').textContent()).toMatch(/similarity/);
    await page.getByTestId('pretrain-method').selectOption('mocov2');
    expect(await page.getByTestId('pretrain-method-summary').textContent()).toMatch(/contrastive baseline/);
    expect(await page.getByTestId('pretrain-t').count()).toBe(0);
    await shot('06a-pretrain-methods');
    await page.getByTestId('pretrain-method').selectOption('ssmtl');
    expect(await page.getByTestId('pretrain-backbone').inputValue()).toBe('unet');
    await startTinyPretrain(page, 4);
    // Pause while it runs, see it paused, resume.
    await page.getByTestId('job-pause').click();
    // The click shows at once, before the run reaches a point where it can pause.
    expect(await page.getByTestId('job-progress').textContent()).toMatch(/^(pausing…|paused)/);
    await expect.poll(() => page.getByTestId('job-progress').getAttribute('data-state'), { timeout: 30_000 }).toBe('paused');
    await page.getByTestId('job-resume').click();
    await expect.poll(() => page.getByTestId('job-progress').getAttribute('data-state'), { timeout: 300_000, interval: 1000 }).toBe('done');
    expect(await page.getByTestId('job-progress').textContent()).toContain('100%');
    await shot('06-pretrained');
  }, 330_000);

  it('fine-tunes from the pre-trained model and draws the predicted overlay on the canvas', async () => {
    // A few more annotated slices, from the sample's ground truth, as an annotator would have drawn them.
    const firstSeries = annotateFromSampleTruth(workspace, 6);
    await page.reload();
    await page.getByTestId('nav-review').click();
    await page.locator('[data-testid=viewport][data-ready=true]').waitFor({ timeout: 60_000 });
    await page.getByTestId('finetune-epochs').fill('30');
    await page.getByTestId('finetune-start').click();
    // Stopped mid-way (a closed laptop, a change of mind): the screen offers to resume it.
    await expect
      .poll(() => page.getByTestId('job-progress').getAttribute('data-state'), { timeout: 120_000, interval: 100 })
      .toBe('running');
    await page.getByTestId('job-cancel').click();
    expect(await page.getByTestId('job-progress').first().textContent()).toMatch(/^(cancelling…|cancelled)/);
    await page.getByTestId('finetune-stopped').waitFor({ timeout: 60_000 });
    await shot('07a-finetune-stopped');
    await page.getByTestId('finetune-resume').click();
    await expect.poll(() => page.getByTestId('job-progress').first().textContent(), { timeout: 30_000 }).toMatch(/running|done/);
    // Fine-tuning, then segmenting the series on screen.
    await expect
      .poll(async () => page.locator('[data-testid=overlay-model] option').count(), { timeout: 480_000, interval: 2000 })
      .toBeGreaterThan(1);
    await page.getByTestId('overlay-opacity').fill('1');
    // Show the slice where the model found most, as a reviewer would (a tiny model may
    // find nothing on some slices): read the stored prediction by its URL, like the viewer.
    const model = await page.getByTestId('overlay-model').inputValue();
    const counts = (await page.evaluate(`(async () => {
      const counts = [];
      for (let k = 0; k < 64; k++) {
        const response = await fetch('api/series/${encodeURIComponent(firstSeries)}/predictions/${encodeURIComponent(model)}/' + k);
        if (!response.ok) throw new Error('prediction of slice ' + k + ': ' + response.status);
        counts.push(new Uint16Array(await response.arrayBuffer()).filter((v) => v !== 0).length);
      }
      return counts;
    })()`)) as number[];
    // Among the slices nobody annotated: there the overlay is the model's alone.
    const annotated = workspaceInfo(workspace).series[0].annotatedSlices;
    for (const k of annotated) counts[k] = 0;
    const best = counts.indexOf(Math.max(...counts));
    expect(counts[best]).toBeGreaterThan(0);
    await page.locator(`[data-testid=slice-strip] button[data-index="${best}"]`).click();
    await expect.poll(sliceIndex, { timeout: 5000 }).toBe(best);
    await page.waitForTimeout(1500);
    const withOverlay = await viewportPixels();
    await shot('07-review-overlay');
    await page.getByTestId('overlay-model').selectOption({ index: 0 });
    await page.waitForTimeout(1000);
    const withoutOverlay = await viewportPixels();
    expect(withOverlay.colored).toBeGreaterThan(withoutOverlay.colored + 50);
  }, 540_000);

  it('reviews as a clinician: hides a predicted label, accepts and undoes, erases, shows the prediction, takes a region', async () => {
    const canvas = new ViewerCanvas(page);
    const seriesId = await page.getByTestId('series-picker').inputValue();
    const model = (await page.locator('[data-testid=overlay-model] option').nth(1).getAttribute('value'))!;
    await page.getByTestId('overlay-model').selectOption(model);
    const predictions = (await page.evaluate(`(async () => {
      const all = [];
      for (let k = 0; k < 64; k++) {
        const response = await fetch('api/series/${encodeURIComponent(seriesId)}/predictions/${encodeURIComponent(model)}/' + k);
        all.push(Array.from(new Uint16Array(await response.arrayBuffer())));
      }
      return all;
    })()`)) as number[][];
    // Unannotated slices, the most predicted first: there the overlay is the model's alone.
    const annotatedNow = new Set(workspaceInfo(workspace).series[0].annotatedSlices);
    const predictedCount = (k: number) => predictions[k].filter((v) => v !== 0).length;
    const ranked = predictions.map((_, k) => k).filter((k) => !annotatedNow.has(k) && predictedCount(k) > 0);
    ranked.sort((a, b) => predictedCount(b) - predictedCount(a));
    expect(ranked.length).toBeGreaterThanOrEqual(2);
    const [first, second] = ranked;
    const goTo = async (k: number) => {
      await page.locator(`[data-testid=slice-strip] button[data-index="${k}"]`).click();
      await expect.poll(sliceIndex, { timeout: 5000 }).toBe(k);
      await page.waitForTimeout(800);
    };
    await goTo(first);
    const saved = () => canvas.saved(seriesId, first);
    const count = async () => Number(await page.getByTestId('annotated-count').textContent());

    // Hiding a label hides it in the prediction too.
    const top = [...countLabels(predictions[first])].sort((a, b) => b[1] - a[1])[0][0];
    const shownBefore = await canvas.labelColourCount(top);
    expect(shownBefore, `predicted label ${top} shows`).toBeGreaterThan(50);
    await page.getByTestId(`label-visible-${top}`).uncheck();
    await canvas.eventually(async () => (await canvas.labelColourCount(top)) < shownBefore * 0.05, `predicted label ${top} hides`);
    await shot('09a-review-label-hidden');
    await page.getByTestId(`label-visible-${top}`).check();
    await canvas.eventually(async () => (await canvas.labelColourCount(top)) > shownBefore * 0.8, `predicted label ${top} shows again`);

    // Accepting the slice's prediction is an edit like any other: saved, undone, redone.
    const annotatedBefore = await count();
    await page.getByTestId('accept-prediction').click();
    await canvas.eventually(
      async () => JSON.stringify(await saved()) === JSON.stringify(predictions[first]),
      'the accepted prediction is saved',
    );
    await expect.poll(count).toBe(annotatedBefore + 1);
    expect(await page.getByTestId('undo').isDisabled(), 'accepting can be undone').toBe(false);
    await page.getByTestId('undo').click();
    await canvas.eventually(async () => (await saved()).every((v) => v === 0), 'undo takes the accepted prediction back');
    await expect.poll(count).toBe(annotatedBefore);
    await page.getByTestId('redo').click();
    await canvas.eventually(async () => JSON.stringify(await saved()) === JSON.stringify(predictions[first]), 'redo accepts it again');

    // Erasing part of it shows as erased: the prediction stays hidden under an annotated slice…
    await page.getByTestId('tool-eraser').click();
    const inside = (await canvas.findPoint('colored'))!;
    expect(inside, 'a point inside the accepted labels').not.toBeNull();
    await canvas.drag(inside, { x: inside.x + 4, y: inside.y });
    await canvas.eventually(async () => (await canvas.pointState(inside)).clear, 'the erased point shows no label');
    await canvas.eventually(
      async () => countLabels(await saved()).size > 0 && (await saved()).filter((v) => v !== 0).length < predictedCount(first),
      'the erase is saved',
    );
    await shot('09b-review-erased');
    // …unless asked for: "show prediction here".
    await page.getByTestId('show-prediction').check();
    await canvas.eventually(
      async () => (await canvas.pointState(inside)).colored,
      'the prediction shows under the erased point when asked',
    );
    await page.getByTestId('show-prediction').uncheck();
    await canvas.eventually(async () => (await canvas.pointState(inside)).clear, 'and hides again');

    // Take: a click on a predicted region takes that connected region, undoably.
    await goTo(second);
    const takenSaved = () => canvas.saved(seriesId, second);
    await page.getByTestId('tool-pan').click();
    await page.getByTestId('tool-take').click();
    const region = (await canvas.findPoint('colored'))!;
    expect(region, 'a predicted region on screen').not.toBeNull();
    await canvas.click(region);
    await canvas.eventually(async () => (await takenSaved()).some((v) => v !== 0), 'the taken region is saved');
    const taken = await takenSaved();
    expect(
      taken.every((v, i) => v === 0 || v === predictions[second][i]),
      'only predicted labels are taken',
    ).toBe(true);
    expect(taken.filter((v) => v !== 0).length).toBeLessThanOrEqual(predictedCount(second));
    await shot('09c-review-region-taken');
    await page.getByTestId('undo').click();
    await canvas.eventually(async () => (await takenSaved()).every((v) => v === 0), 'undo gives the region back');
    await page.getByTestId('tool-brush').click();
  }, 180_000);

  it('exports a DICOM SEG', async () => {
    await page.getByTestId('nav-export').click();
    await page.getByTestId('export-seg').click();
    const result = page.getByTestId('export-results').locator('code').first();
    await result.waitFor({ timeout: 60_000 });
    const path = (await result.textContent())!;
    expect(path.endsWith('.dcm')).toBe(true);
    expect(statSync(path).size).toBeGreaterThan(1000);
    await shot('08-exported');
    expect(errors).toEqual([]);
    expect(teardownLogs).toEqual([]);
  }, 120_000);
});
