/**
 * How fast the viewer answers, in Chromium through `ssmtl serve`, as the viewer itself
 * measures it (User Timing measures of src/renderer/src/viewer/speed-measures.ts):
 *   npx tsx bench/viewer-speed.ts [--slices 181] [--size 256] [--scrolls 40] [--strokes 6] [--one-view] [--gpu] [--json]
 * Writes an MR-like series of `slices` slices (DICOM, size × size), imports it into a
 * fresh workspace, opens it, scrolls slice by slice with the mouse wheel (each step
 * waits for the new slice on screen), paints brush strokes of 20 moves each, then
 * reopens the series. Chromium runs with --disable-gpu (software WebGL, as on this
 * machine's CI) unless --gpu is given. The viewer shows its three orthogonal views, or
 * with --one-view the acquisition view alone (V). Targets (issue 13): slice to pixels < 100 ms,
 * brush handling < 16 ms per move event, opening a 181-slice series < 1 s.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, launchChromium, startServe } from '../tests/e2e/serve-session.ts';
import { testUid, writeDicom } from '../tests/helpers/write-dicom.ts';
import { SPEED_MEASURES } from '../src/renderer/src/viewer/speed-measures.ts';
import { summarise, type Summary } from './summary.ts';

const { values } = parseArgs({
  options: {
    slices: { type: 'string', default: '181' },
    size: { type: 'string', default: '256' },
    scrolls: { type: 'string', default: '40' },
    strokes: { type: 'string', default: '6' },
    'one-view': { type: 'boolean', default: false },
    gpu: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const slices = Number(values.slices);
const size = Number(values.size);

/** An MR-like head: a bright ellipse with a darker core, changing slowly along the series. */
function writeSeries(dir: string): void {
  const seriesUid = testUid();
  for (let k = 0; k < slices; k++) {
    const pixels = new Int16Array(size * size);
    const r = 0.3 + 0.1 * Math.sin((Math.PI * k) / slices);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const u = x / size - 0.5;
        const v = y / size - 0.5;
        const d = (u * u) / (r * r) + (v * v) / (r * r * 1.4);
        pixels[y * size + x] = d < 1 ? (d < 0.4 ? 600 : 1100) + ((x * 7 + y * 13 + k) % 40) : 5;
      }
    writeFileSync(
      join(dir, `slice-${k}.dcm`),
      writeDicom({
        seriesUid,
        modality: 'MR',
        position: [0, 0, k],
        instanceNumber: k + 1,
        rows: size,
        cols: size,
        pixels,
        pixelSpacing: [1, 1],
      }),
    );
  }
}

const data = mkdtempSync(join(tmpdir(), 'ssmtl-viewer-bench-'));
const serve = await startServe();
const browser = await launchChromium(values.gpu ? [] : ['--disable-gpu']);
try {
  mkdirSync(data, { recursive: true });
  writeSeries(data);
  const imported = spawnSync(process.execPath, [join(ROOT, 'bin', 'ssmtl.mjs'), 'import', data, '--workspace', serve.workspace, '--json'], {
    encoding: 'utf8',
  });
  if (imported.status !== 0) throw new Error(`ssmtl import failed: ${imported.stderr}`);

  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(serve.url);
  const measures = async (name: string): Promise<number[]> =>
    (await page.evaluate(`performance.getEntriesByName(${JSON.stringify(name)}).map((e) => e.duration)`)) as number[];
  // waitForFunction compiles its string with eval, which the page's CSP refuses: poll instead.
  const waitInPage = async (expression: string, timeoutMs = 60_000) => {
    const end = Date.now() + timeoutMs;
    while (!(await page.evaluate(expression))) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${expression}`);
      await page.waitForTimeout(20);
    }
  };
  const open = async (count: number) => {
    await page.getByTestId('series-item').first().click();
    await waitInPage(`performance.getEntriesByName(${JSON.stringify(SPEED_MEASURES.openSeries)}).length >= ${count}`);
  };
  await open(1);
  if (values['one-view']) {
    await page.keyboard.press('v');
    await waitInPage(`performance.getEntriesByName(${JSON.stringify(SPEED_MEASURES.openSeries)}).length >= 2`);
    await page.evaluate(`performance.clearMeasures(${JSON.stringify(SPEED_MEASURES.openSeries)})`);
  } else await page.locator('[data-testid=view-coronal][data-ready=true]').waitFor({ timeout: 120_000 });
  const renderer = (await page.evaluate(`(() => {
    const gl = document.createElement('canvas').getContext('webgl2');
    const info = gl && gl.getExtension('WEBGL_debug_renderer_info');
    return info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : 'no WebGL';
  })()`)) as string;

  const viewport = page.getByTestId('viewport');
  const box = (await viewport.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const sliceIndex = async () => Number(await page.getByTestId('slice-index').getAttribute('data-index'));
  for (let i = 0; i < Number(values.scrolls); i++) {
    const before = await sliceIndex();
    await page.mouse.wheel(0, i < Number(values.scrolls) / 2 ? 100 : -100);
    await waitInPage(`Number(document.querySelector('[data-testid=slice-index]').dataset.index) !== ${before}`, 10_000);
    await page.waitForTimeout(50);
  }

  await page.getByTestId('tool-brush').click();
  for (let s = 0; s < Number(values.strokes); s++) {
    const y = box.y + box.height * (0.35 + 0.05 * s);
    await page.mouse.move(box.x + box.width * 0.4, y);
    await page.mouse.down();
    for (let i = 1; i <= 20; i++) await page.mouse.move(box.x + box.width * 0.4 + i * 8, y);
    await page.mouse.up();
  }
  await page.waitForTimeout(500);

  // Reopen: a second series opening with Cornerstone already started (the first includes its start-up).
  await page.getByTestId('nav-library').click();
  await open(values['one-view'] ? 1 : 2);

  const result = {
    renderer,
    load1: loadavg()[0],
    slices,
    size,
    views: values['one-view'] ? 1 : 3,
    sliceToPixelsMs: summarise(await measures(SPEED_MEASURES.sliceToPixels)),
    brushMoveMs: summarise(await measures(SPEED_MEASURES.dragMove)),
    brushToPixelsMs: summarise(await measures(SPEED_MEASURES.dragToPixels)),
    openSeriesMs: await measures(SPEED_MEASURES.openSeries),
  };
  if (values.json) console.log(JSON.stringify(result));
  else {
    const row = (what: string, s: Summary, target: string) =>
      `| ${what} | ${s.n} | ${s.median.toFixed(1)} | ${s.p95.toFixed(1)} | ${s.max.toFixed(1)} | ${target} |`;
    console.log(`Chromium WebGL: ${renderer}; load ${result.load1.toFixed(1)}; ${slices} slices of ${size}²; ${result.views} view(s)\n`);
    console.log('| measure (ms) | n | median | p95 | max | target |\n| --- | ---: | ---: | ---: | ---: | ---: |');
    console.log(row('slice scroll to pixels', result.sliceToPixelsMs, '< 100'));
    console.log(row('brush handling per move event', result.brushMoveMs, '< 16'));
    console.log(row('brush move to next frame', result.brushToPixelsMs, '–'));
    console.log(`| open the series (first, then again) | 2 | ${result.openSeriesMs.map((t) => t.toFixed(0)).join(', ')} | | | < 1000 |`);
  }
} finally {
  await browser.close();
  await serve.stop();
  rmSync(data, { recursive: true, force: true });
}
