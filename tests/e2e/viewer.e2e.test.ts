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
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { SPEED_MEASURES } from '../../src/renderer/src/viewer/speed-measures.ts';
import { SHOTS, annotateFromSampleTruth, hasChromium, launchChromium, startServe, type ServeSession } from './serve-session.ts';

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

interface Point {
  x: number;
  y: number;
}

/** What the viewport's canvas shows, summarised in the page (a full read-back is ~100 ms). */
interface CanvasView {
  /** per candidate point: every pixel within the radius shows a label colour / none does */
  colored: boolean[];
  clear: boolean[];
  /** grey level at each point (to paint on the image, not beside it) */
  grey: number[];
  /** pixels of the image that are not black (air is), and their centroid (viewport px) */
  bright: number;
  cx: number;
  cy: number;
  meanGrey: number;
}

describe.skipIf(!hasChromium)('the viewer', () => {
  let serve: ServeSession;
  let browser: Browser;
  let page: Page;
  let seriesId: string;
  let slice = 9;
  const errors: string[] = [];

  beforeAll(async () => {
    serve = await startServe();
    browser = await launchChromium(['--disable-gpu']);
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
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

  async function viewportBox(): Promise<{ x: number; y: number; width: number; height: number }> {
    return (await page.getByTestId('viewport').boundingBox())!;
  }

  async function canvasView(points: Point[], radius: number): Promise<CanvasView> {
    return (await page.evaluate(`(() => {
      const points = ${JSON.stringify(points)}, radius = ${radius};
      const host = document.querySelector('[data-testid=viewport]');
      const canvas = host.querySelector('canvas');
      const rect = canvas.getBoundingClientRect(), hostRect = host.getBoundingClientRect();
      const scale = canvas.width / rect.width;
      const { data, width, height } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      const at = (x, y) => 4 * (Math.min(height - 1, Math.max(0, Math.round(y))) * width + Math.min(width - 1, Math.max(0, Math.round(x))));
      const isColored = (i) => Math.max(data[i], data[i + 1], data[i + 2]) - Math.min(data[i], data[i + 1], data[i + 2]) > 60;
      const colored = [], clear = [], grey = [];
      for (const p of points) {
        const x0 = (p.x - (rect.left - hostRect.left)) * scale, y0 = (p.y - (rect.top - hostRect.top)) * scale;
        let all = true, none = true;
        for (let dy = -radius; dy <= radius; dy++)
          for (let dx = -radius; dx <= radius; dx++) {
            const c = isColored(at(x0 + dx * scale, y0 + dy * scale));
            all = all && c;
            none = none && !c;
          }
        colored.push(all);
        clear.push(none);
        const i = at(x0, y0);
        grey.push((data[i] + data[i + 1] + data[i + 2]) / 3);
      }
      let bright = 0, sx = 0, sy = 0, sum = 0;
      for (let y = 0; y < height; y += 2)
        for (let x = 0; x < width; x += 2) {
          const i = 4 * (y * width + x), g = (data[i] + data[i + 1] + data[i + 2]) / 3;
          sum += g;
          if (g > 12) { bright++; sx += x; sy += y; }
        }
      const offsetX = rect.left - hostRect.left, offsetY = rect.top - hostRect.top;
      return { colored, clear, grey, bright, meanGrey: sum / (width * height / 4),
        cx: bright ? sx / bright / scale + offsetX : 0, cy: bright ? sy / bright / scale + offsetY : 0 };
    })()`)) as CanvasView;
  }

  /** Keeps the canvas as it is now (grey levels), to compare with what a drag makes of it. */
  async function snapshotCanvas(): Promise<void> {
    await page.evaluate(`(() => {
      const canvas = document.querySelector('[data-testid=viewport] canvas');
      window.__snapshot = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    })()`);
  }

  /**
   * Mean grey difference between the canvas now and the snapshot shifted by each offset
   * (viewport px), over the middle of the canvas: small for the offset the image moved by.
   */
  async function differenceFromSnapshot(offsets: Point[]): Promise<number[]> {
    return (await page.evaluate(`(() => {
      const canvas = document.querySelector('[data-testid=viewport] canvas');
      const scale = canvas.width / canvas.getBoundingClientRect().width;
      const now = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height), then = window.__snapshot;
      const grey = (d, i) => (d[i] + d[i + 1] + d[i + 2]) / 3;
      return ${JSON.stringify(offsets)}.map(({ x, y }) => {
        const dx = Math.round(x * scale), dy = Math.round(y * scale);
        let sum = 0, n = 0;
        for (let py = Math.round(now.height * 0.25); py < now.height * 0.75; py += 2)
          for (let px = Math.round(now.width * 0.25); px < now.width * 0.75; px += 2) {
            sum += Math.abs(grey(now.data, 4 * (py * now.width + px)) - grey(then.data, 4 * ((py - dy) * now.width + px - dx)));
            n++;
          }
        return sum / n;
      });
    })()`)) as number[];
  }

  /** The saved annotation of the slice on screen: how many pixels hold each label value. */
  async function savedCounts(): Promise<Map<number, number>> {
    const values = (await page.evaluate(`(async () => {
      const response = await fetch('api/series/${encodeURIComponent(seriesId)}/annotations/${slice}', { cache: 'no-store' });
      return response.ok ? Array.from(new Uint16Array(await response.arrayBuffer())) : [];
    })()`)) as number[];
    const counts = new Map<number, number>();
    for (const v of values) if (v) counts.set(v, (counts.get(v) ?? 0) + 1);
    return counts;
  }
  const total = (counts: Map<number, number>) => [...counts.values()].reduce((a, b) => a + b, 0);

  async function goToSlice(k: number): Promise<void> {
    slice = k;
    await page
      .locator(`[data-testid=slice-strip] button[title^="Slice ${k} "], [data-testid=slice-strip] button[title="Slice ${k}"]`)
      .click();
    await expect.poll(async () => Number(await page.getByTestId('slice-index').textContent()), { timeout: 10_000 }).toBe(k);
  }

  /** Candidate points over the middle of the viewport, where the image is. */
  async function candidates(): Promise<Point[]> {
    const box = await viewportBox();
    const points: Point[] = [];
    for (let y = box.height * 0.2; y <= box.height * 0.8; y += 22)
      for (let x = box.width / 2 - box.height * 0.3; x <= box.width / 2 + box.height * 0.3; x += 22) points.push({ x, y });
    return points;
  }

  /** A point on the image (not air beside it) with no label around it, or one inside a label. */
  async function findPoint(kind: 'clear' | 'colored'): Promise<Point> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const points = await candidates();
      const view = await canvasView(points, 6);
      const found = points.find((_, i) => (kind === 'clear' ? view.clear[i] && view.grey[i] > 30 : view.colored[i]));
      if (found) return found;
      // This slice has none left (a fill covered it): the next slice of the heart.
      await goToSlice(slice + 1);
    }
    throw new Error(`no ${kind} point on slices up to ${slice}`);
  }

  async function drag(from: Point, to: Point, button: 'left' | 'middle' | 'right' = 'left'): Promise<void> {
    const box = await viewportBox();
    await page.mouse.move(box.x + from.x, box.y + from.y);
    await page.mouse.down({ button });
    for (let i = 1; i <= 3; i++)
      await page.mouse.move(box.x + from.x + ((to.x - from.x) * i) / 3, box.y + from.y + ((to.y - from.y) * i) / 3);
    await page.mouse.up({ button });
  }

  async function pointState(p: Point): Promise<{ colored: boolean; clear: boolean }> {
    const view = await canvasView([p], 1);
    return { colored: view.colored[0], clear: view.clear[0] };
  }

  /** Each view tool drags one way, then back the next time, so the image stays in view. */
  const direction: Partial<Record<Tool | 'middle' | 'right', number>> = {};
  const nextDirection = (what: Tool | 'middle' | 'right') => (direction[what] = -(direction[what] ?? -1));

  /** Waits for a check to hold; fails saying what did not happen. */
  async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`not within ${timeoutMs / 1000} s: ${what}`);
      await page.waitForTimeout(100);
    }
  }

  /** Uses the selected tool as a person would and checks its effect. */
  async function useTool(tool: Tool): Promise<void> {
    if (tool === 'pan' || tool === 'zoom' || tool === 'windowLevel') {
      const sign = nextDirection(tool);
      const box = await viewportBox();
      const centre = { x: box.width / 2, y: box.height / 2 };
      const before = await canvasView([], 0);
      const saved = total(await savedCounts());
      await snapshotCanvas();
      const move =
        tool === 'pan' ? { x: 40 * sign, y: 25 * sign } : tool === 'zoom' ? { x: 0, y: 60 * sign } : { x: 80 * sign, y: 80 * sign };
      await drag(centre, { x: centre.x + move.x, y: centre.y + move.y });
      await page.waitForTimeout(300);
      const after = await canvasView([], 0);
      const [unmoved, followed] = await differenceFromSnapshot([{ x: 0, y: 0 }, move]);
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
      expect(total(await savedCounts()), `${tool} saves no annotation change`).toBe(saved);
      return;
    }
    const erasing = tool === 'eraser';
    const p = await findPoint(erasing ? 'colored' : 'clear');
    const before = await savedCounts();
    if (tool === 'fill') {
      const box = await viewportBox();
      await page.mouse.click(box.x + p.x, box.y + p.y);
    } else if (tool === 'scissors') await drag(p, { x: p.x + 20, y: p.y });
    else await drag(p, { x: p.x + 6, y: p.y + 2 });
    const shown = erasing ? { colored: false, clear: true } : { colored: true, clear: false };
    await eventually(
      async () => JSON.stringify(await pointState(p)) === JSON.stringify(shown),
      `the point under the ${tool}'s stroke shows it`,
    );
    await eventually(async () => {
      const after = await savedCounts();
      return erasing ? total(after) < total(before) : (after.get(PAINT_LABEL) ?? 0) > (before.get(PAINT_LABEL) ?? 0);
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

  /** Pixels of the canvas whose colour (less its grey part) points the way of the label's colour. */
  async function labelColourCount(value: number): Promise<number> {
    const colour = await page.evaluate(`getComputedStyle(document.querySelector('[data-testid=label-${value}] .swatch')).backgroundColor`);
    const [r, g, b] = (colour as string).match(/\d+/g)!.map(Number);
    return (await page.evaluate(`(() => {
      const canvas = document.querySelector('[data-testid=viewport] canvas');
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      const m0 = Math.min(${r}, ${g}, ${b}), c = [${r} - m0, ${g} - m0, ${b} - m0], cn = Math.hypot(...c);
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        const m = Math.min(data[i], data[i + 1], data[i + 2]);
        const p = [data[i] - m, data[i + 1] - m, data[i + 2] - m], pn = Math.hypot(...p);
        if (pn > 40 && (p[0] * c[0] + p[1] * c[1] + p[2] * c[2]) / (pn * cn) > 0.97) n++;
      }
      return n;
    })()`)) as number;
  }

  it('hides and shows each label on screen, whichever is selected, and saves nothing for it', async () => {
    await goToSlice(30);
    const saved = await savedCounts();
    const present = [...saved.keys()];
    expect(present.length).toBeGreaterThanOrEqual(2);
    await page.getByTestId(`label-${present[0]}`).click();
    for (const value of present) {
      const before = new Map(await Promise.all(present.map(async (v) => [v, await labelColourCount(v)] as const)));
      expect(before.get(value), `label ${value} shows before it is hidden`).toBeGreaterThan(50);
      await page.getByTestId(`label-visible-${value}`).uncheck();
      await eventually(async () => (await labelColourCount(value)) < before.get(value)! * 0.05, `label ${value} disappears when hidden`);
      for (const other of present.filter((v) => v !== value))
        expect(await labelColourCount(other), `label ${other} stays while ${value} is hidden`).toBeGreaterThan(before.get(other)! * 0.5);
      await page.screenshot({ path: join(SHOTS, `viewer-label-${value}-hidden.png`) });
      await page.getByTestId(`label-visible-${value}`).check();
      await eventually(async () => (await labelColourCount(value)) > before.get(value)! * 0.8, `label ${value} comes back when shown`);
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
        const box = await viewportBox();
        const before = await canvasView([], 0);
        const centre = { x: box.width / 2, y: box.height / 2 };
        const sign = nextDirection(button);
        await drag(centre, { x: centre.x + 30 * sign, y: centre.y + 40 * sign }, button);
        await page.waitForTimeout(300);
        const after = await canvasView([], 0);
        expect(after.bright === before.bright && after.cx === before.cx, `${button} drag moved the view`).toBe(false);
        try {
          await useTool(tool);
        } catch (error) {
          throw new Error(`${tool} after a ${button}-button drag: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
    expect(errors).toEqual([]);
  }, 300_000);
});
