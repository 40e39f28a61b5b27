/**
 * Every tool works after every other one (issue 13, item 1: the brush silently stopped
 * painting after Pan or Zoom). One walk through the viewer uses each ordered pair of
 * tools once (an Eulerian circuit of the complete directed graph on the tools): switch,
 * by the toolbar or by the key, then use the new tool and check what a person would
 * check, on screen (the viewport's canvas) and in the saved annotation (read back by its
 * URL, as the viewer reads it):
 * - brush, threshold brush, scissors, fill: the point painted shows a label colour and
 *   the slice's saved annotation holds more of the active label;
 * - eraser: a labelled point turns clear and the saved annotation holds fewer labels;
 * - pan, zoom, window/level: the image moves, scales, or changes brightness as that tool
 *   does, and nothing is painted or saved.
 * Then middle-button pans and right-button zooms between strokes of the brush and eraser.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { SPEED_MEASURES } from '../../src/renderer/src/viewer/speed-measures.ts';
import { ViewerCanvas, totalLabelled, type Point } from './viewer-canvas.ts';
import {
  SHOTS,
  annotateFromSampleTruth,
  hasChromium,
  launchChromium,
  startServe,
  workspaceInfo,
  type ServeSession,
} from './serve-session.ts';

type Tool = 'brush' | 'eraser' | 'threshold' | 'scissors' | 'fill' | 'windowLevel' | 'pan' | 'zoom';
const TOOLS: Tool[] = ['brush', 'eraser', 'threshold', 'scissors', 'fill', 'windowLevel', 'pan', 'zoom'];
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

/** A walk that takes every ordered pair (a, b), a ≠ b, exactly once (Hierholzer's algorithm). */
function everyOrderedPair<T>(nodes: T[]): T[] {
  const unused = new Map(nodes.map((n) => [n, nodes.filter((m) => m !== n)]));
  const stack = [nodes[0]];
  const walk: T[] = [];
  while (stack.length) {
    const top = stack[stack.length - 1];
    const next = unused.get(top)!.shift();
    if (next === undefined) walk.push(stack.pop()!);
    else stack.push(next);
  }
  return walk.reverse();
}

describe.skipIf(!hasChromium)('the viewer', () => {
  let serve: ServeSession;
  let browser: Browser;
  let page: Page;
  let canvas: ViewerCanvas;
  let seriesId: string;
  let slice = 9;
  const errors: string[] = [];

  beforeAll(async () => {
    serve = await startServe();
    browser = await launchChromium(['--disable-gpu']);
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    canvas = new ViewerCanvas(page);
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(serve.url);
    await page.getByTestId('import-sample').click();
    await page.getByTestId('series-item').nth(3).waitFor({ timeout: 180_000 });
    // Labels to erase on every slice that holds the heart (slices 9–63 of the sample).
    seriesId = annotateFromSampleTruth(serve.workspace, 64);
    await page.reload();
    await page.getByTestId('series-item').first().click();
    await page.locator('[data-testid=viewport][data-ready=true]').waitFor({ timeout: 60_000 });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    if (serve) expect(await serve.stop()).toBe(0);
  }, 120_000);

  const savedCounts = () => canvas.savedCounts(seriesId, slice);
  const eventually = (check: () => Promise<boolean>, what: string, timeoutMs?: number) => canvas.eventually(check, what, timeoutMs);

  async function goToSlice(k: number): Promise<void> {
    slice = k;
    await page.locator(`[data-testid=slice-strip] button[data-index="${k}"]`).click();
    await expect.poll(async () => Number(await page.getByTestId('slice-index').getAttribute('data-index')), { timeout: 10_000 }).toBe(k);
  }

  /** A point on the image with no label around it, or one inside a label; the next slice of the heart when this one has none. */
  async function findPoint(kind: 'clear' | 'colored'): Promise<Point> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const found = await canvas.findPoint(kind);
      if (found) return found;
      await goToSlice(slice + 1);
    }
    throw new Error(`no ${kind} point on slices up to ${slice}`);
  }

  /** Each view tool drags one way, then back the next time, so the image stays in view. */
  const direction: Partial<Record<Tool | 'middle' | 'right', number>> = {};
  const nextDirection = (what: Tool | 'middle' | 'right') => (direction[what] = -(direction[what] ?? -1));

  /** Uses the selected tool as a person would and checks its effect. */
  async function useTool(tool: Tool): Promise<void> {
    if (tool === 'pan' || tool === 'zoom' || tool === 'windowLevel') {
      const sign = nextDirection(tool);
      const box = await canvas.box();
      const centre = { x: box.width / 2, y: box.height / 2 };
      const before = await canvas.view([], 0);
      const saved = totalLabelled(await savedCounts());
      await canvas.snapshot();
      const move =
        tool === 'pan' ? { x: 40 * sign, y: 25 * sign } : tool === 'zoom' ? { x: 0, y: 60 * sign } : { x: 80 * sign, y: 80 * sign };
      await canvas.drag(centre, { x: centre.x + move.x, y: centre.y + move.y });
      await page.waitForTimeout(300);
      const after = await canvas.view([], 0);
      const [unmoved, followed] = await canvas.differenceFromSnapshot([{ x: 0, y: 0 }, move]);
      if (tool === 'pan') {
        expect(followed, 'the image follows a pan drag').toBeLessThan(unmoved / 3);
      } else if (tool === 'zoom') {
        expect(Math.abs(after.bright / before.bright - 1), 'a zoom drag scales the image').toBeGreaterThan(0.1);
      } else {
        expect(Math.abs(after.meanGrey - before.meanGrey), 'a window/level drag changes brightness').toBeGreaterThan(3);
        expect(followed, 'window/level does not move the image').toBeGreaterThan(unmoved / 3);
      }
      // Nothing painted: give a stroke's save (a quarter second after it) time to arrive.
      await page.waitForTimeout(500);
      expect(totalLabelled(await savedCounts()), `${tool} saves no annotation change`).toBe(saved);
      return;
    }
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

  async function select(tool: Tool, byKey: boolean): Promise<void> {
    if (byKey) {
      // Keys typed into a field are the field's (a person clicks away from it first).
      await page.evaluate('document.activeElement?.blur()');
      await page.getByTestId('viewport').hover();
      await page.keyboard.press(KEYS[tool]);
    } else await page.getByTestId(`tool-${tool}`).click();
    await expect.poll(() => page.getByTestId(`tool-${tool}`).getAttribute('class')).toContain('active');
  }

  it('reads like a radiology viewer: 1-based slices with their position, orientation letters, window and HU under the pointer', async () => {
    await goToSlice(20);
    const text = async (id: string) => (await page.getByTestId(id).textContent())?.trim() ?? '';
    expect(await text('slice-index')).toBe('21');
    const position = async () => Number((await text('slice-position')).match(/(-?\d+\.\d) mm/)![1]);
    const at20 = await position();
    await goToSlice(21);
    expect(await text('slice-index')).toBe('22');
    const spacing = workspaceInfo(serve.workspace).series[0].spacing[2];
    // Positions are shown to 0.1 mm.
    expect(Math.abs(Math.abs((await position()) - at20) - spacing)).toBeLessThanOrEqual(0.11);
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

  it('hides and shows each label on screen, whichever is selected, and saves nothing for it', async () => {
    await goToSlice(30);
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

  it('paints, erases, fills and moves the view after every switch, and saves what is painted', async () => {
    await page.getByTestId('label-500').click();
    await page.getByTestId('tool-threshold').click();
    // The threshold brush paints whatever lies under it here (its own range is tested elsewhere).
    await page.getByTestId('threshold-lower').fill('-3000');
    await page.getByTestId('threshold-upper').fill('5000');
    await goToSlice(slice);
    const walk = everyOrderedPair(TOOLS);
    expect(walk.length).toBe(TOOLS.length * (TOOLS.length - 1) + 1);
    for (let i = 0; i < walk.length; i++) {
      const tool = walk[i];
      const from = i === 0 ? 'threshold' : walk[i - 1];
      const how = i % 2 ? 'key' : 'toolbar';
      await select(tool, how === 'key');
      try {
        await useTool(tool);
      } catch (error) {
        await page.screenshot({ path: join(SHOTS, `tool-switch-failed-${from}-to-${tool}.png`) });
        throw new Error(`after switching ${from} → ${tool} (${how}): ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    await page.screenshot({ path: join(SHOTS, 'tool-switch-walk.png') });
    // The viewer's own speed measures over the walk (bench/viewer-speed.ts is the benchmark).
    const speed = (await page.evaluate(`Object.fromEntries(${JSON.stringify(Object.values(SPEED_MEASURES))}.map((name) => {
      const d = performance.getEntriesByName(name).map((e) => e.duration).sort((a, b) => a - b);
      return [name, { n: d.length, median: d[Math.floor(d.length / 2)] ?? null, max: d.at(-1) ?? null }];
    }))`)) as Record<string, { n: number; median: number | null; max: number | null }>;
    writeFileSync(join(SHOTS, 'viewer-speed.json'), JSON.stringify(speed, null, 2));
    console.log('viewer speed over the tool walk (ms):', JSON.stringify(speed));
    expect(speed[SPEED_MEASURES.dragMove].n).toBeGreaterThan(50);
  }, 600_000);

  it('keeps painting and erasing after middle-button pans and right-button zooms', async () => {
    await page.getByRole('button', { name: 'Reset view' }).click();
    for (const tool of ['brush', 'eraser'] as const) {
      await select(tool, false);
      for (const button of ['middle', 'right'] as const) {
        const box = await canvas.box();
        const before = await canvas.view([], 0);
        const centre = { x: box.width / 2, y: box.height / 2 };
        const sign = nextDirection(button);
        await canvas.drag(centre, { x: centre.x + 30 * sign, y: centre.y + 40 * sign }, button);
        await page.waitForTimeout(300);
        const after = await canvas.view([], 0);
        expect(after.bright === before.bright && after.cx === before.cx, `${button} drag moved the view`).toBe(false);
        try {
          await useTool(tool);
        } catch (error) {
          throw new Error(`${tool} after a ${button}-button drag: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
  }, 300_000);

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
