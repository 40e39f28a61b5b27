import type { Page } from 'playwright-core';

/**
 * What the viewer shows and saves, read as a person would check it: the main view's
 * canvas (its pixels, summarised in the page: a full read-back costs about 100 ms) and
 * a slice's saved annotation, read back by its URL as the viewer reads it. Shared by the
 * e2e suites (this test's TypeScript has no DOM types: page code is a string expression).
 */
export interface Point {
  x: number;
  y: number;
}

export interface CanvasView {
  /** per point: every pixel within the radius shows a label colour / none does */
  colored: boolean[];
  clear: boolean[];
  /** grey level at each point (to paint on the image, not on the air beside it) */
  grey: number[];
  /** pixels of the image that are not black (air is), and their centroid (viewport px) */
  bright: number;
  cx: number;
  cy: number;
  meanGrey: number;
}

export class ViewerCanvas {
  /** `testId`: the view to read (the main view, or `view-coronal` and `view-sagittal`) */
  constructor(
    private readonly page: Page,
    private readonly testId = 'viewport',
  ) {}

  private get host(): string {
    return `document.querySelector('[data-testid=${this.testId}]')`;
  }

  private get canvas(): string {
    return `document.querySelector('[data-testid=${this.testId}] canvas')`;
  }

  async box(): Promise<{ x: number; y: number; width: number; height: number }> {
    return (await this.page.getByTestId(this.testId).boundingBox())!;
  }

  /** Points in viewport px. */
  async view(points: Point[], radius: number): Promise<CanvasView> {
    return (await this.page.evaluate(`(() => {
      const points = ${JSON.stringify(points)}, radius = ${radius};
      const host = ${this.host};
      const canvas = ${this.canvas};
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

  async pointState(p: Point): Promise<{ colored: boolean; clear: boolean }> {
    const view = await this.view([p], 1);
    return { colored: view.colored[0], clear: view.clear[0] };
  }

  /** Keeps the canvas as it is now, to compare with what a drag makes of it. */
  async snapshot(): Promise<void> {
    await this.page.evaluate(`(() => {
      const canvas = ${this.canvas};
      window.__snapshot = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    })()`);
  }

  /**
   * Mean grey difference between the canvas now and the snapshot shifted by each offset
   * (viewport px), over the middle of the canvas: small for the offset the image moved by.
   */
  async differenceFromSnapshot(offsets: Point[]): Promise<number[]> {
    return (await this.page.evaluate(`(() => {
      const canvas = ${this.canvas};
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

  /** Pixels of the canvas whose colour (less its grey part) points the way of the label's palette colour. */
  async labelColourCount(value: number): Promise<number> {
    const colour = await this.page.evaluate(
      `getComputedStyle(document.querySelector('[data-testid=label-${value}] .swatch')).backgroundColor`,
    );
    const [r, g, b] = (colour as string).match(/\d+/g)!.map(Number);
    return (await this.page.evaluate(`(() => {
      const canvas = ${this.canvas};
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

  /** Candidate points over the middle of the viewport, where the image is. */
  async candidates(): Promise<Point[]> {
    const box = await this.box();
    const points: Point[] = [];
    for (let y = box.height * 0.2; y <= box.height * 0.8; y += 22)
      for (let x = box.width / 2 - box.height * 0.3; x <= box.width / 2 + box.height * 0.3; x += 22) points.push({ x, y });
    return points;
  }

  /** A point on the image (not air) with no label around it, or one inside a label; null when there is none. */
  async findPoint(kind: 'clear' | 'colored'): Promise<Point | null> {
    const points = await this.candidates();
    const view = await this.view(points, 6);
    return points.find((_, i) => (kind === 'clear' ? view.clear[i] && view.grey[i] > 30 : view.colored[i])) ?? null;
  }

  async drag(from: Point, to: Point, button: 'left' | 'middle' | 'right' = 'left'): Promise<void> {
    const box = await this.box();
    await this.page.mouse.move(box.x + from.x, box.y + from.y);
    await this.page.mouse.down({ button });
    for (let i = 1; i <= 3; i++)
      await this.page.mouse.move(box.x + from.x + ((to.x - from.x) * i) / 3, box.y + from.y + ((to.y - from.y) * i) / 3);
    await this.page.mouse.up({ button });
  }

  async click(p: Point): Promise<void> {
    const box = await this.box();
    await this.page.mouse.click(box.x + p.x, box.y + p.y);
  }

  /** A slice's saved label values (empty when the slice has no annotation). */
  async saved(seriesId: string, slice: number): Promise<number[]> {
    return (await this.page.evaluate(`(async () => {
      const response = await fetch('api/series/${encodeURIComponent(seriesId)}/annotations/${slice}', { cache: 'no-store' });
      return response.ok ? Array.from(new Uint16Array(await response.arrayBuffer())) : [];
    })()`)) as number[];
  }

  /** A slice's saved annotation as pixel counts per label value. */
  async savedCounts(seriesId: string, slice: number): Promise<Map<number, number>> {
    return countLabels(await this.saved(seriesId, slice));
  }

  /** Waits for a check to hold; fails saying what did not happen. */
  async eventually(check: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`not within ${timeoutMs / 1000} s: ${what}`);
      await this.page.waitForTimeout(100);
    }
  }
}

export function countLabels(values: number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const v of values) if (v) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

export const totalLabelled = (counts: Map<number, number>) => [...counts.values()].reduce((a, b) => a + b, 0);
