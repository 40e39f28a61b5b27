/**
 * Labels the user owns (issue 13, item 6), in Chromium through `ssmtl serve`: the label
 * editor replaces the MM-WHS heart palette with the user's own structures (from the empty
 * preset: add, rename, recolour, reorder), the palette and the strokes use them, they
 * survive a reload, a label still painted cannot be removed, and the exports carry the
 * names and colours: the DICOM SEG's segment labels and the NIfTI's label table beside it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { readSeg } from '../../src/formats/dicom-seg/read-seg.ts';
import { ViewerCanvas } from './viewer-canvas.ts';
import { SHOTS, hasChromium, openSmallSeries, type SmallSeriesSession } from './serve-session.ts';

const TUMOUR = { value: 1, name: 'Tumour', color: '#12ab34' };
const OEDEMA = { value: 2, name: 'Oedema', color: '#ffaa00' };

describe.skipIf(!hasChromium)('label sets', () => {
  let session: SmallSeriesSession;
  let page: Page;
  let canvas: ViewerCanvas;
  let seriesId: string;
  let errors: string[];

  beforeAll(async () => {
    session = await openSmallSeries(24, 0);
    ({ page, seriesId, errors } = session);
    canvas = new ViewerCanvas(page);
  }, 300_000);

  afterAll(async () => {
    if (session) expect(await session.close()).toBe(0);
  }, 60_000);

  const paletteNames = () => page.locator('.palette [data-testid^=label-]:not([data-testid^=label-visible])').allTextContents();

  it('replaces the heart palette with the user’s own labels, which strokes use and a reload keeps', async () => {
    expect((await paletteNames()).map((n) => n.trim())).toContain('LV');
    await page.getByTestId('label-editor').locator('summary').click();
    await page.getByTestId('label-preset').selectOption('empty');
    for (const label of [TUMOUR, OEDEMA]) {
      await page.getByTestId('label-add').click();
      const i = (await page.locator('[data-testid^=label-edit-name-]').count()) - 1;
      await page.getByTestId(`label-edit-name-${i}`).fill(label.name);
      await page.getByTestId(`label-edit-color-${i}`).fill(label.color);
      await page.getByTestId(`label-edit-value-${i}`).fill(String(label.value));
    }
    // Oedema first: the palette's order is the user's (and its number keys follow it).
    await page.getByTestId('label-edit-up-1').click();
    await page.getByTestId('label-save').click();
    await expect.poll(async () => (await paletteNames()).map((n) => n.trim())).toEqual(['Oedema', 'Tumour']);
    await page.locator('[data-testid=viewport][data-ready=true]').waitFor({ timeout: 30_000 });

    // A Tumour stroke shows in its colour and is saved with its value.
    await page.getByTestId(`label-${TUMOUR.value}`).click();
    await page.getByTestId('tool-brush').click();
    await page.locator('[data-testid=slice-strip] button[data-index="12"]').click();
    const p = await canvas.findPoint('clear');
    expect(p, 'a point on the image with no label').not.toBeNull();
    await canvas.drag(p!, { x: p!.x + 8, y: p!.y + 3 });
    await canvas.eventually(async () => (await canvas.labelColourCount(TUMOUR.value)) > 20, 'the stroke shows in the Tumour colour');
    await canvas.eventually(
      async () => ((await canvas.savedCounts(seriesId, 12)).get(TUMOUR.value) ?? 0) > 0,
      'the stroke is saved as value 1',
    );
    await page.screenshot({ path: join(SHOTS, 'label-sets-own-labels.png') });

    await page.reload();
    // Back on the Annotate screen of this series (the place is kept across reloads).
    await page.locator('[data-testid=viewport][data-ready=true]').waitFor({ timeout: 60_000 });
    expect((await paletteNames()).map((n) => n.trim())).toEqual(['Oedema', 'Tumour']);
  }, 120_000);

  it('refuses to remove a label that is still painted, saying which', async () => {
    await page.getByTestId('label-editor').locator('summary').click();
    const names = await Promise.all((await page.locator('[data-testid^=label-edit-name-]').all()).map((input) => input.inputValue()));
    await page.getByTestId(`label-edit-remove-${names.indexOf('Tumour')}`).click();
    await page.getByTestId('label-save').click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toContain('"Tumour" is painted in annotated slices and cannot be removed');
    await page.getByTestId('label-revert').click();
    expect((await paletteNames()).map((n) => n.trim())).toEqual(['Oedema', 'Tumour']);
  }, 60_000);

  it('exports carry the names and colours: DICOM SEG segment labels, and a label table beside the NIfTI', async () => {
    await page.getByTestId('nav-export').click();
    await page.getByTestId('export-nifti').click();
    await expect.poll(() => page.getByTestId('export-results').locator('li').count(), { timeout: 20_000 }).toBe(1);
    await page.getByTestId('export-seg').click();
    await expect.poll(() => page.getByTestId('export-results').locator('li').count(), { timeout: 20_000 }).toBe(2);
    const written = await page.getByTestId('export-results').locator('li code').allTextContents();
    await page.screenshot({ path: join(SHOTS, 'label-sets-exports.png') });
    const table = written.find((path) => path.endsWith('.labels.txt'))!;
    expect(existsSync(table), `${table} exists`).toBe(true);
    const rows = readFileSync(table, 'utf8')
      .split('\n')
      .filter((line) => line.trim() && !line.startsWith('#'))
      .map((line) => line.trim().split(/\s+/));
    // IDX R G B A VIS MSH "LABEL": the clear label, then what the volume holds.
    expect(rows).toEqual([
      ['0', '0', '0', '0', '0', '0', '0', '"Clear', 'Label"'],
      ['1', '18', '171', '52', '1', '1', '1', '"Tumour"'],
    ]);
    const seg = readSeg(readFileSync(written.find((path) => path.endsWith('.dcm'))!));
    expect(seg.segments.map((s) => [s.label, s.labelValue])).toEqual([['Tumour', 1]]);
    expect(errors).toEqual([]);
  }, 60_000);
});
