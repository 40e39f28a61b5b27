/**
 * A large workspace in the interface (issue 10, "Scale"): 50 series of 200 slices, 10 000
 * slices in all, made through the real import path and used in Chromium through
 * `ssmtl serve`, as a clinician would:
 *   npm run bench:scale -- [--series 50] [--slices 200] [--size 256] [--repeats 10] [--scrolls 20] [--json]
 *                          [--keep DIR: make the workspace there and keep it] [--reuse DIR: time the interface on it]
 * 1. writes the series as DICOM files (signed 16-bit, size × size, MR-like, this repository's
 *    test writer), then `ssmtl import`s the folder into a fresh workspace, sampling the
 *    resident memory of the import's process tree every 100 ms;
 * 2. opens `ssmtl serve` on it in Chromium (--disable-gpu: software WebGL, as on CI) and
 *    times, in the page (performance.now and the viewer's own User Timing measures,
 *    src/renderer/src/viewer/speed-measures.ts):
 *    - list: a reload of a settled page (no long task for two seconds) until every series is
 *      listed, and until the thumbnails on screen are drawn; reloads made as soon as the last
 *      one's thumbnails are drawn (its idle work still running) until every series is listed;
 *      back to the Library from another screen until the list is there again;
 *    - open: a click on a series in the Library until its first slice is on screen;
 *    - scroll: each of `scrolls` wheel steps, from the wheel event's time stamp until the new
 *      slice is drawn;
 *    - switch: another series chosen in the viewer's picker until its slice is drawn.
 * Target: under 200 ms per action. Prints median / p95 / max per action.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { ROOT, launchChromium, startServe } from '../tests/e2e/serve-session.ts';
import { testUid, writeDicom } from '../tests/helpers/write-dicom.ts';
import { SPEED_MEASURES } from '../src/renderer/src/viewer/speed-measures.ts';
import { summarise } from './summary.ts';

const { values } = parseArgs({
  options: {
    series: { type: 'string', default: '50' },
    slices: { type: 'string', default: '200' },
    size: { type: 'string', default: '256' },
    repeats: { type: 'string', default: '10' },
    scrolls: { type: 'string', default: '20' },
    json: { type: 'boolean', default: false },
    keep: { type: 'string' },
    reuse: { type: 'string' },
  },
});
const seriesCount = Number(values.series);
const slices = Number(values.slices);
const size = Number(values.size);
const repeats = Number(values.repeats);
const scrolls = Number(values.scrolls);

/** Series `s`: an ellipse whose radius and texture change along the slices and between series. */
function writeSeries(dir: string, s: number): void {
  mkdirSync(dir, { recursive: true });
  const seriesUid = testUid();
  const pixels = new Int16Array(size * size);
  for (let k = 0; k < slices; k++) {
    const r = 0.25 + 0.1 * Math.sin((Math.PI * k) / slices) + 0.002 * s;
    for (let y = 0; y < size; y++) {
      const v = y / size - 0.5;
      for (let x = 0; x < size; x++) {
        const u = x / size - 0.5;
        const d = (u * u + (v * v) / 1.4) / (r * r);
        pixels[y * size + x] = d < 1 ? (d < 0.4 ? 600 : 1100) + ((x * 7 + y * 13 + k + s) % 40) : 5;
      }
    }
    const file = writeDicom({
      seriesUid,
      modality: 'MR',
      position: [0, 0, k * 1.5],
      instanceNumber: k + 1,
      rows: size,
      cols: size,
      pixels,
      pixelSpacing: [1, 1],
      extra: { SeriesDescription: `Scale series ${String(s + 1).padStart(2, '0')}`, PatientID: `SCALE-${s + 1}` },
    });
    writeFileSync(join(dir, `slice-${k}.dcm`), file);
  }
}

/** Resident memory (MB) of a process and its descendants, from /proc. */
async function treeRssMb(pid: number): Promise<number> {
  const ps = spawn('ps', ['-e', '-o', 'pid=,ppid=,rss='], { stdio: ['ignore', 'pipe', 'ignore'] });
  let text = '';
  for await (const chunk of ps.stdout) text += String(chunk);
  const rows = text
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number));
  const tree = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [p, parent] of rows) if (tree.has(parent) && !tree.has(p)) grew = tree.add(p).size > 0;
  }
  return rows.filter(([p]) => tree.has(p)).reduce((sum, [, , rss]) => sum + rss, 0) / 1024;
}

/** `ssmtl import` of the folder, with the import's memory sampled while it runs. */
async function timedImport(data: string, workspace: string): Promise<{ seconds: number; peakRssMb: number; rssAtQuarters: number[] }> {
  const start = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'ssmtl.mjs'), 'import', data, '--workspace', workspace, '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SSMTL_QUIET: '1' },
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += String(chunk)));
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const samples: number[] = [];
  let done = false;
  void exited.then(() => (done = true));
  while (!done) {
    const rss = await treeRssMb(child.pid!);
    if (rss > 0) samples.push(rss); // 0: it has just exited
    await Promise.race([exited, new Promise((r) => setTimeout(r, 100))]);
  }
  const code = await exited;
  if (code !== 0) throw new Error(`ssmtl import failed (${code}): ${stderr}`);
  const quarter = (q: number) => Math.round(samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? 0);
  return {
    seconds: (performance.now() - start) / 1000,
    peakRssMb: Math.round(Math.max(...samples)),
    rssAtQuarters: [0.25, 0.5, 0.75, 0.99].map(quarter),
  };
}

/** Runs `action` in the page and waits, frame by frame, until `done` holds: the ms in between, by the page's clock. */
async function timeInPage(page: Page, action: string, done: string, timeoutMs = 30_000): Promise<number> {
  return (await page.evaluate(`(async () => {
    const t0 = performance.now();
    ${action};
    while (!(${done})) {
      if (performance.now() - t0 > ${timeoutMs}) throw new Error('timed out: ' + ${JSON.stringify(done)});
      await new Promise((r) => requestAnimationFrame(r));
    }
    return performance.now() - t0;
  })()`)) as number;
}

const measureCount = (name: string) => `performance.getEntriesByName(${JSON.stringify(name)}).length`;
const lastMeasure = async (page: Page, name: string) =>
  (await page.evaluate(`performance.getEntriesByName(${JSON.stringify(name)}).at(-1).duration`)) as number;

const kept = values.reuse ?? values.keep;
const folder = kept ? resolve(kept) : mkdtempSync(join(tmpdir(), 'ssmtl-scale-bench-'));
const data = join(folder, 'dicom');
const workspace = join(folder, 'workspace');
let writeSeconds = 0;
let imported = { seconds: NaN, peakRssMb: NaN, rssAtQuarters: [] as number[] };
if (!values.reuse) {
  const writeStart = performance.now();
  for (let s = 0; s < seriesCount; s++) writeSeries(join(data, `series-${s}`), s);
  writeSeconds = (performance.now() - writeStart) / 1000;
  imported = await timedImport(data, workspace);
}

const serve = await startServe(workspace);
const browser = await launchChromium(['--disable-gpu']);
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  // From the start of each navigation: when every series is listed, and when every thumbnail is drawn.
  // Also: when the page last ran a long task (its idle work: the viewer's code, the GPU offer),
  // and when the last wheel event over the viewer was made (the event's own time stamp).
  await page.addInitScript(`(() => {
    window.__lastLongTaskEnd = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__lastLongTaskEnd = Math.max(window.__lastLongTaskEnd, e.startTime + e.duration);
    }).observe({ type: 'longtask', buffered: true });
    addEventListener('wheel', (e) => (window.__wheelAt ??= e.timeStamp), { capture: true, passive: true });
    const check = () => {
      const items = document.querySelectorAll('[data-testid=series-item]');
      if (items.length >= ${seriesCount} && !window.__listedAt) window.__listedAt = performance.now();
      // thumbnails are drawn as they scroll into view: those on screen
      const inView = [...document.querySelectorAll('[data-testid=series-item] .thumb')].filter((t) => t.getBoundingClientRect().top < innerHeight);
      if (items.length >= ${seriesCount} && inView.every((t) => t.dataset.drawn === 'true') && !window.__thumbsAt) window.__thumbsAt = performance.now();
      if (!window.__thumbsAt) requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  })()`);
  /** Waits until the page has run no long task for two seconds (at most 20 s): a settled page. */
  const settled = async () => {
    const end = Date.now() + 20_000;
    while (Date.now() < end && ((await page.evaluate('performance.now() - window.__lastLongTaskEnd')) as number) < 2000)
      await page.waitForTimeout(100);
  };
  const listedAndDrawn = async () => {
    const end = Date.now() + 60_000;
    while (!(await page.evaluate('Boolean(window.__thumbsAt)'))) {
      if (Date.now() > end) throw new Error('the library did not list every series with its thumbnails in 60 s');
      await page.waitForTimeout(50);
    }
  };
  // Reloads of a settled page (a user's reload or the app's start), then reloads each made as
  // soon as the last one's thumbnails are drawn, while that page still loads the viewer's code
  // in its idle time: a reload waits for the task it lands in.
  const reloadList: number[] = [];
  const reloadThumbs: number[] = [];
  const reloadBusyList: number[] = [];
  await page.goto(serve.url);
  await listedAndDrawn(); // the first load also builds caches (the page's modules, the catalogue's pages): not counted
  const reloads = Math.max(3, repeats);
  for (let i = 0; i < 2 * reloads; i++) {
    const busy = i >= reloads;
    if (!busy) await settled();
    await page.reload();
    await listedAndDrawn();
    if (busy) reloadBusyList.push((await page.evaluate('window.__listedAt')) as number);
    else {
      reloadList.push((await page.evaluate('window.__listedAt')) as number);
      reloadThumbs.push((await page.evaluate('window.__thumbsAt')) as number);
    }
  }
  await settled();

  const listed = `document.querySelectorAll('[data-testid=series-item]').length >= ${seriesCount}`;
  const openMs: number[] = [];
  const openMeasured: number[] = [];
  const backToList: number[] = [];
  const scrollMs: number[] = [];
  const scrollMeasured: number[] = [];
  const switchMs: number[] = [];
  const switchMeasured: number[] = [];
  const sliceIndex = `Number(document.querySelector('[data-testid=slice-index]')?.dataset.index ?? -1)`;
  for (let r = 0; r < repeats; r++) {
    // Open: a series from the Library (a different one each time, over the whole list).
    const pick = Math.floor(((r + 0.5) * seriesCount) / repeats);
    const opened = (await page.evaluate(measureCount(SPEED_MEASURES.openSeries))) as number;
    const open = await timeInPage(
      page,
      `document.querySelectorAll('[data-testid=series-item]')[${pick}].click()`,
      `${measureCount(SPEED_MEASURES.openSeries)} > ${opened}`,
    );
    if (r > 0) {
      openMs.push(open);
      openMeasured.push(await lastMeasure(page, SPEED_MEASURES.openSeries));
    }

    // Scroll: wheel steps over the viewport, each until its slice is drawn.
    if (r === 0) {
      const box = (await page.getByTestId('viewport').boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      let step = 100;
      let turns = 0;
      for (let i = 0; i < scrolls; i++) {
        const before = (await page.evaluate(sliceIndex)) as number;
        const drawn = (await page.evaluate(measureCount(SPEED_MEASURES.sliceToPixels))) as number;
        const t0 = performance.now();
        await page.evaluate('window.__wheelAt = undefined');
        await page.mouse.wheel(0, step);
        const moved = async () =>
          (await page.evaluate(sliceIndex)) !== before &&
          ((await page.evaluate(measureCount(SPEED_MEASURES.sliceToPixels))) as number) > drawn;
        while (!(await moved()) && performance.now() - t0 < 3000) await page.waitForTimeout(5);
        if (!(await moved())) {
          // the series' first or last slice: the wheel turns back (and this step is not counted)
          if (++turns > 2) throw new Error(`slice ${before}: no other slice drawn after a wheel step either way`);
          step = -step;
          i--;
          continue;
        }
        turns = 0;
        // In the page's clock: from the wheel event's time stamp to the new slice drawn (the
        // end of the viewer's measure), not counting this script's polling from outside.
        scrollMs.push(
          (await page.evaluate(
            `(() => { const m = performance.getEntriesByName(${JSON.stringify(SPEED_MEASURES.sliceToPixels)}).at(-1); return m.startTime + m.duration - window.__wheelAt; })()`,
          )) as number,
        );
        scrollMeasured.push(await lastMeasure(page, SPEED_MEASURES.sliceToPixels));
      }
    }

    // Switch: another series in the viewer's picker.
    const ids = (await page.evaluate(
      `[...document.querySelectorAll('[data-testid=series-picker] option')].map((o) => o.value)`,
    )) as string[];
    const next = ids[(pick + 7) % ids.length];
    const switched = (await page.evaluate(measureCount(SPEED_MEASURES.openSeries))) as number;
    switchMs.push(
      await timeInPage(
        page,
        `(() => { const s = document.querySelector('[data-testid=series-picker]'); s.value = ${JSON.stringify(next)}; s.dispatchEvent(new Event('change')); })()`,
        `${measureCount(SPEED_MEASURES.openSeries)} > ${switched}`,
      ),
    );
    switchMeasured.push(await lastMeasure(page, SPEED_MEASURES.openSeries));

    // Back to the Library: the list of every series again.
    backToList.push(await timeInPage(page, `document.querySelector('[data-testid=nav-library]').click()`, listed));
  }

  const result = {
    date: new Date().toISOString(),
    load1: loadavg()[0],
    series: seriesCount,
    slicesPerSeries: slices,
    size,
    dicomMb: Math.round((seriesCount * slices * (size * size * 2 + 1000)) / 2 ** 20),
    writeSeconds,
    import: imported,
    ms: {
      'list: reload until every series is listed': summarise(reloadList),
      'list: reload until the thumbnails on screen are drawn': summarise(reloadThumbs),
      "list: reload as soon as the last one's thumbnails are drawn, until listed": summarise(reloadBusyList),
      'list: back to the Library from the viewer': summarise(backToList),
      'open a series from the Library (click → first slice drawn)': summarise(openMs),
      "open a series (the viewer's own measure)": summarise(openMeasured),
      'scroll one slice (wheel event → new slice drawn)': summarise(scrollMs),
      "scroll one slice (the viewer's own measure)": summarise(scrollMeasured),
      'switch series in the picker (→ first slice drawn)': summarise(switchMs),
      "switch series (the viewer's own measure)": summarise(switchMeasured),
    },
  };
  if (values.json) console.log(JSON.stringify(result));
  else {
    console.log(
      `${seriesCount} series × ${slices} slices of ${size}² (${result.dicomMb} MB of DICOM, written in ${writeSeconds.toFixed(0)} s); load ${result.load1.toFixed(1)}`,
    );
    console.log(
      `ssmtl import: ${imported.seconds.toFixed(1)} s (${((seriesCount * slices) / imported.seconds).toFixed(0)} slices/s), peak RSS ${imported.peakRssMb} MB, RSS at 25/50/75/100 % of the run ${imported.rssAtQuarters.join(' / ')} MB\n`,
    );
    console.log('| action (ms) | n | median | p95 | max |\n| --- | ---: | ---: | ---: | ---: |');
    for (const [what, s] of Object.entries(result.ms))
      console.log(`| ${what} | ${s.n} | ${s.median.toFixed(0)} | ${s.p95.toFixed(0)} | ${s.max.toFixed(0)} |`);
  }
} finally {
  await browser.close();
  if (kept) {
    // serve's stop() removes the workspace's folder: a kept one is only stopped.
    const exited = new Promise((r) => serve.server.once('exit', r));
    serve.server.kill('SIGTERM');
    await exited;
  } else {
    await serve.stop();
    rmSync(folder, { recursive: true, force: true });
  }
}
