/**
 * Tools that never break (issue 13, item 1: the brush silently stopped painting after Pan
 * or Zoom). In Chromium through `ssmtl serve`, with real pointer events on one page kept
 * for every case and a small series (24 slices, imported by the CLI beforehand): switch,
 * by the toolbar or by the key, then use the new tool and check what a person would
 * check, on screen (the viewport's canvas) and in the saved annotation (read back by its
 * URL, as the viewer reads it):
 * - brush, threshold brush, scissors, fill: the point painted shows a label colour and
 *   the slice's saved annotation holds more of the active label;
 * - eraser: a labelled point turns clear and the saved annotation holds fewer labels;
 * - pan, zoom, window/level: the image moves, scales, or changes brightness as that tool
 *   does, and nothing is painted or saved.
 * Every ordered pair of tools is checked on the tool group's bindings by
 * src/renderer/src/viewer/cornerstone/tool-group-bindings.test.ts (milliseconds); here
 * the switches a person makes: each view tool then the brush, back and forth between
 * editing tools, each editing tool after a view tool, and strokes after middle-button
 * pans and right-button zooms.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { SPEED_MEASURES } from '../../src/renderer/src/viewer/speed-measures.ts';
import { ViewerCanvas, totalLabelled, type Point } from './viewer-canvas.ts';
import { SHOTS, hasChromium, openSmallSeries, type SmallSeriesSession } from './serve-session.ts';

type Tool = 'brush' | 'eraser' | 'threshold' | 'scissors' | 'fill' | 'windowLevel' | 'pan' | 'zoom';
type ViewTool = 'pan' | 'zoom' | 'windowLevel';
const KEYS: Record<Tool, string> = {
  brush: 'b',
  eraser: 'e',
  threshold: 't',
  scissors: 'c',
  fill: 'f',
  windowLevel: 'w',
  pan: 'p',
  zoom: 'z',
};
const PAINT_LABEL = 500;

describe.skipIf(!hasChromium)('every tool after a switch', () => {
  let session: SmallSeriesSession;
  let page: Page;
  let canvas: ViewerCanvas;
  let seriesId: string;
  let annotatedSlices: number[];
  let slice = 0;
  let switches = 0;
  let errors: string[];

  beforeAll(async () => {
    session = await openSmallSeries(24, 12);
    ({ page, seriesId, annotatedSlices, errors } = session);
    canvas = new ViewerCanvas(page);
    await page.getByTestId('label-500').click();
    // The threshold brush paints whatever lies under it here (its own range is tested elsewhere).
    await page.getByTestId('tool-threshold').click();
    await page.getByTestId('threshold-lower').fill('-3000');
    await page.getByTestId('threshold-upper').fill('5000');
  }, 300_000);

  afterAll(async () => {
    if (session) expect(await session.close()).toBe(0);
  }, 60_000);

  const savedCounts = () => canvas.savedCounts(seriesId, slice);
  const eventually = (check: () => Promise<boolean>, what: string) => canvas.eventually(check, what);

  async function goToSlice(k: number): Promise<void> {
    slice = k;
    await page.locator(`[data-testid=slice-strip] button[data-index="${k}"]`).click();
    await expect.poll(async () => Number(await page.getByTestId('slice-index').getAttribute('data-index')), { timeout: 10_000 }).toBe(k);
  }

  /** A point on the image with no label around it, or one inside a label; the next annotated slice when this one has none. */
  async function findPoint(kind: 'clear' | 'colored'): Promise<Point> {
    for (const next of [slice, ...annotatedSlices.filter((k) => k > slice)].slice(0, 3)) {
      if (next !== slice) await goToSlice(next);
      const found = await canvas.findPoint(kind);
      if (found) return found;
    }
    throw new Error(`no ${kind} point on slices up to ${slice}`);
  }

  /** Each view tool drags one way, then back the next time, so the image stays in view. */
  const direction: Partial<Record<ViewTool | 'middle' | 'right', number>> = {};
  const nextDirection = (what: ViewTool | 'middle' | 'right') => (direction[what] = -(direction[what] ?? -1));

  /** Drags with a view tool and checks that it moved, scaled or windowed the image and saved nothing. */
  async function useViewTool(tool: ViewTool): Promise<void> {
    const sign = nextDirection(tool);
    const box = await canvas.box();
    const centre = { x: box.width / 2, y: box.height / 2 };
    const before = await canvas.view([], 0);
    const saved = totalLabelled(await savedCounts());
    await canvas.snapshot();
    const move =
      tool === 'pan' ? { x: 40 * sign, y: 25 * sign } : tool === 'zoom' ? { x: 0, y: 60 * sign } : { x: 80 * sign, y: 80 * sign };
    await canvas.drag(centre, { x: centre.x + move.x, y: centre.y + move.y });
    await eventually(
      async () => {
        const after = await canvas.view([], 0);
        const [unmoved, followed] = await canvas.differenceFromSnapshot([{ x: 0, y: 0 }, move]);
        if (tool === 'pan') return followed < unmoved / 3;
        if (tool === 'zoom') return Math.abs(after.bright / before.bright - 1) > 0.1;
        return Math.abs(after.meanGrey - before.meanGrey) > 3 && followed > unmoved / 3;
      },
      `the ${tool} drag ${tool === 'pan' ? 'moves' : tool === 'zoom' ? 'scales' : 'changes the brightness of'} the image`,
    );
    // Nothing painted: give a stroke's save (a quarter second after it) time to arrive.
    await page.waitForTimeout(400);
    expect(totalLabelled(await savedCounts()), `${tool} saves no annotation change`).toBe(saved);
  }

  /** Paints (or erases) as a person would and checks that the stroke shows, is saved and can be undone. */
  async function useEditTool(tool: Exclude<Tool, ViewTool>): Promise<void> {
    const erasing = tool === 'eraser';
    const p = await findPoint(erasing ? 'colored' : 'clear');
    const before = await savedCounts();
    if (tool === 'fill') await canvas.click(p);
    else if (tool === 'scissors') await canvas.drag(p, { x: p.x + 20, y: p.y });
    else await canvas.drag(p, { x: p.x + 6, y: p.y + 2 });
    const shown = erasing ? { colored: false, clear: true } : { colored: true, clear: false };
    await eventually(
      async () => JSON.stringify(await canvas.pointState(p)) === JSON.stringify(shown),
      `the point under the ${tool}'s stroke shows it`,
    );
    await eventually(async () => {
      const after = await savedCounts();
      return erasing ? totalLabelled(after) < totalLabelled(before) : (after.get(PAINT_LABEL) ?? 0) > (before.get(PAINT_LABEL) ?? 0);
    }, `the ${tool}'s stroke is saved`);
    expect(await page.getByTestId('undo').isDisabled(), `${tool}: the stroke can be undone`).toBe(false);
  }

  /** Chooses a tool, by the toolbar and by its key in turn. */
  async function select(tool: Tool): Promise<void> {
    if (switches++ % 2) {
      // Keys typed into a field are the field's (a person clicks away from it first).
      await page.evaluate('document.activeElement?.blur()');
      await page.getByTestId('viewport').hover();
      await page.keyboard.press(KEYS[tool]);
    } else await page.getByTestId(`tool-${tool}`).click();
    await expect.poll(() => page.getByTestId(`tool-${tool}`).getAttribute('class')).toContain('active');
  }

  /** Switches through the tools in order, using each; a failure names the switch. */
  async function walk(tools: Tool[]): Promise<void> {
    for (let i = 0; i < tools.length; i++) {
      const tool = tools[i];
      await select(tool);
      try {
        if (tool === 'pan' || tool === 'zoom' || tool === 'windowLevel') await useViewTool(tool);
        else await useEditTool(tool);
      } catch (error) {
        const from = i === 0 ? 'the last tool' : tools[i - 1];
        await page.screenshot({ path: join(SHOTS, `tool-switch-failed-${from}-to-${tool}.png`) });
        throw new Error(`after switching ${from} → ${tool}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  it('paints with the brush after Pan, after Zoom and after Window/level, by toolbar and by key', async () => {
    await goToSlice(annotatedSlices[Math.floor(annotatedSlices.length / 2)]);
    await walk(['brush', 'pan', 'brush', 'zoom', 'brush', 'windowLevel', 'brush', 'pan', 'zoom', 'windowLevel', 'brush']);
    await page.screenshot({ path: join(SHOTS, 'tool-switch-brush-after-view-tools.png') });
  }, 90_000);

  it('each editing tool works after a view tool, and switching back between editing tools keeps them working', async () => {
    await walk(['eraser', 'brush', 'eraser', 'pan', 'eraser', 'zoom', 'threshold', 'windowLevel', 'scissors', 'pan', 'fill', 'brush']);
  }, 90_000);

  it('keeps painting and erasing after middle-button pans and right-button zooms', async () => {
    await page.getByRole('button', { name: 'Reset view' }).click();
    for (const tool of ['brush', 'eraser'] as const) {
      await select(tool);
      for (const button of ['middle', 'right'] as const) {
        const box = await canvas.box();
        const before = await canvas.view([], 0);
        const centre = { x: box.width / 2, y: box.height / 2 };
        const sign = nextDirection(button);
        await canvas.drag(centre, { x: centre.x + 30 * sign, y: centre.y + 40 * sign }, button);
        await eventually(async () => {
          const after = await canvas.view([], 0);
          return after.bright !== before.bright || after.cx !== before.cx;
        }, `the ${button}-button drag moves the view`);
        try {
          await useEditTool(tool);
        } catch (error) {
          throw new Error(`${tool} after a ${button}-button drag: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
    await page.screenshot({ path: join(SHOTS, 'tool-switch-after-mouse-buttons.png') });
    // The viewer's own speed measures over these strokes (bench/viewer-speed.ts is the benchmark).
    const speed = (await page.evaluate(`Object.fromEntries(${JSON.stringify(Object.values(SPEED_MEASURES))}.map((name) => {
      const d = performance.getEntriesByName(name).map((e) => e.duration).sort((a, b) => a - b);
      return [name, { n: d.length, median: d[Math.floor(d.length / 2)] ?? null, max: d.at(-1) ?? null }];
    }))`)) as Record<string, { n: number; median: number | null; max: number | null }>;
    writeFileSync(join(SHOTS, 'viewer-speed.json'), JSON.stringify(speed, null, 2));
    expect(speed[SPEED_MEASURES.dragMove].n).toBeGreaterThan(20);
    expect(errors).toEqual([]);
  }, 90_000);
});
