import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeSample, type SampleSeries } from '../src/sample/write-sample.ts';
import { slurmInstalled, startSlurmCluster } from './helpers/slurm-cluster.ts';

/**
 * `ssmtl experiment` (CONTRACT.md) on the built-in sample at a size CI affords: every
 * method's row, the paper-shaped tables, and a run killed with SIGKILL that, run again,
 * ends with exactly the results of an uninterrupted run.
 */
const bin = join(import.meta.dirname, '..', 'bin/ssmtl.mjs');
let root = '';
let series: SampleSeries[] = [];

function run(args: string[], onStderr?: (text: string, kill: () => void) => void, env: Record<string, string> = {}) {
  // Asynchronously: a long spawnSync would starve vitest's worker of its event loop.
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, SSMTL_QUIET: '1', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    onStderr?.(stderr, () => child.kill('SIGKILL'));
  });
  return new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((done) =>
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr })),
  );
}

function config(name: string, extra: Record<string, unknown> = {}): string {
  const scan = (s: SampleSeries) => ({ image: s.dicomDir, labels: s.labelsPath });
  const file = join(root, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      name,
      size: 64,
      width: 2,
      batch: 8,
      seed: 0,
      backend: 'wasm',
      classes: { LV: 500, RV: 600, LA: 420, RA: 550 },
      pretrain: {
        volumes: series.map((s) => s.dicomDir),
        epochs: 1,
        methods: [{ method: 'none' }, { method: 'ssmtl', t: 2 }, { method: 'ssmtl+', t: 2 }, { method: 'mocov2' }],
      },
      segmentation: { train: [scan(series[0])], test: [scan(series[1]), scan(series[2])], labeledSlices: 3, epochs: 2 },
      denoising: { train: [series[0].dicomDir], test: [series[2].dicomDir], epochs: 1 },
      seeds: 1,
      ...extra,
    }),
  );
  return file;
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'ssmtl-experiment-'));
  series = writeSample({ outDir: join(root, 'sample'), subjects: 3, slices: 16, size: 64, seed: 0 }).series;
});

let straight: {
  segmentation: {
    method: string;
    backbone: string;
    miou: number;
    perSeed: { seed: number; miou: number; steps: number; stoppedBecause: string }[];
  }[];
  comparisons: { method: string; vs: string; miouDifference: number }[];
  denoising: { method: string; backbone: string; psnr: number }[];
} | null = null;

describe('ssmtl experiment', () => {
  it('runs every method of the config and prints the paper-shaped tables, as Markdown and as JSON', async () => {
    const file = config('tiny');
    const r = await run(['experiment', file, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    straight = out;
    expect(out).toMatchObject({ name: 'tiny', seeds: 1, missing: [], backend: 'wasm' });
    expect(out.segmentation.map((row: { method: string; backbone: string }) => `${row.method}/${row.backbone}`)).toEqual([
      'none/unet',
      'ssmtl/unet',
      'ssmtl+/resnet50-fcn',
      'mocov2/resnet50-fcn',
    ]);
    for (const row of out.segmentation) {
      expect(Object.keys(row.iou)).toEqual(['LV', 'RV', 'LA', 'RA']);
      expect(row.miou).toBeGreaterThanOrEqual(0);
      expect(row.miou).toBeLessThanOrEqual(1);
      expect(row.withinScan).toBe(false);
      expect(row.perSeed).toEqual([
        expect.objectContaining({ seed: 0, steps: 2, stoppedBecause: 'epochs', trainSlices: 3, backend: 'wasm' }),
      ]);
      expect(row.perSeed[0].testSlices).toBeGreaterThan(0);
      if (row.method !== 'none') expect(row.pretrain).toMatchObject({ method: row.method, backbone: row.backbone, epochs: 1 });
    }
    expect(out.comparisons.map((c: { method: string; vs: string }) => `${c.method} vs ${c.vs}`)).toEqual([
      'ssmtl vs none',
      'ssmtl+ vs none',
      'mocov2 vs none',
    ]);
    expect(out.strategies).toEqual([expect.objectContaining({ strategy: 'random', method: 'ssmtl' })]);
    expect(out.denoising).toHaveLength(4);
    for (const d of out.denoising) expect(Number.isFinite(d.psnr) && d.psnr > 0).toBe(true);
    const markdown = readFileSync(join(root, 'tiny-results', 'results.md'), 'utf8');
    expect(markdown).toMatch(/\| Method \| Network \| LV \| RV \| LA \| RA \| mIoU \|/);
    expect(markdown).toMatch(/\| SSMTL\+ \(t=2\) \| ResNet50-FCN \|/);
    expect(markdown).toMatch(/## Denoising \(PSNR, dB\)/);
  }, 600_000);

  it('killed mid-run (SIGKILL), continues where it was and ends as the uninterrupted run', async () => {
    expect(straight, 'needs the first test').not.toBeNull();
    const file = config('killed');
    const units = join(root, 'killed-results', 'units');
    // Killed once the SSMTL+ pre-training has begun (its unit is the one in progress).
    const first = await run(['experiment', file, '--json'], (text, kill) => {
      if (/unit \d+\/\d+: pretrain\/ssmtlplus/.test(text)) kill();
    });
    expect(first.signal).toBe('SIGKILL');
    const doneBefore = readdirSync(units);
    expect(doneBefore.some((f) => f.startsWith('pretrain__ssmtlplus'))).toBe(false);
    expect(doneBefore.length).toBeGreaterThan(0);
    const again = await run(['experiment', file, '--json']);
    expect(again.code, again.stderr).toBe(0);
    const out = JSON.parse(again.stdout);
    const pick = (r: NonNullable<typeof straight>) => ({
      segmentation: r.segmentation.map((row) => row.perSeed.map((p) => [p.miou, p.steps])),
      denoising: r.denoising.map((d) => d.psnr),
    });
    expect(pick(out)).toEqual(pick(straight!));
    expect(existsSync(join(root, 'killed-results', 'workspace', 'models', 'exp-ssmtlplus-t2-resnet50-fcn-e1-l1', 'weights.bin'))).toBe(
      true,
    );
  }, 600_000);

  it.skipIf(!slurmInstalled)(
    '--slurm on a real one-node Slurm cluster: one array task per missing unit, pre-trainings first; --collect merges them; a rerun submits only what is missing',
    async () => {
      const cluster = await startSlurmCluster();
      try {
        const methods = [{ method: 'none' }, { method: 'ssmtl', t: 2 }];
        const file = config('cluster', { pretrain: { volumes: series.map((s) => s.dicomDir), epochs: 1, methods } });
        const submitted = await run(['experiment', file, '--slurm', '--partition', 'debug', '--json'], undefined, cluster.env);
        expect(submitted.code, submitted.stderr).toBe(0);
        const resultsDir = join(root, 'cluster-results');
        const first = JSON.parse(submitted.stdout);
        expect(first).toMatchObject({ tasks: 5, resultsDir });
        expect(first.arrays.map((a: { units: string[] }) => a.units)).toEqual([
          ['pretrain/ssmtl-t2-unet-e1'],
          [
            'segmentation/none-unet/random/seed0',
            'segmentation/ssmtl-t2-unet-e1/random/seed0',
            'denoising/none-unet',
            'denoising/ssmtl-t2-unet-e1',
          ],
        ]);
        expect(first.jobId).toBe(first.arrays[1].jobId);
        expect(readFileSync(join(resultsDir, 'slurm', 'units.sbatch'), 'utf8')).toContain(
          `#SBATCH --dependency=afterany:${first.arrays[0].jobId}`,
        );
        await cluster.waitFor([first.arrays[0].jobId, first.jobId], 480_000);

        const collected = await run(['experiment', file, '--collect', '--json']);
        expect(collected.code, collected.stderr).toBe(0);
        const out = JSON.parse(collected.stdout);
        expect(out.missing).toEqual([]);
        // The cluster's rows are the rows of the same units run in one process.
        expect(out.segmentation.map((r: { miou: number }) => r.miou)).toEqual(straight!.segmentation.slice(0, 2).map((r) => r.miou));
        expect(out.denoising.map((d: { psnr: number }) => d.psnr)).toEqual(straight!.denoising.slice(0, 2).map((d) => d.psnr));

        const nothing = await run(['experiment', file, '--slurm', '--json'], undefined, cluster.env);
        expect(JSON.parse(nothing.stdout)).toMatchObject({ jobId: null, tasks: 0, arrays: [] });
        rmSync(join(resultsDir, 'units', 'denoising__none-unet.json'));
        const again = JSON.parse((await run(['experiment', file, '--slurm', '--json'], undefined, cluster.env)).stdout);
        expect(again).toMatchObject({ tasks: 1, arrays: [{ units: ['denoising/none-unet'] }] });
        await cluster.waitFor([again.jobId], 240_000);
        expect(existsSync(join(resultsDir, 'units', 'denoising__none-unet.json'))).toBe(true);
      } finally {
        cluster.stop();
      }
    },
    900_000,
  );

  it('exits 2 naming the key of a bad config, and refuses a test scan that is a training scan', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ segmentaton: {} }, /segmentaton: unknown key/],
      [
        { pretrain: { volumes: [series[0].dicomDir], methods: [{ method: 'ssmtl+', backbone: 'unet' }] } },
        /pretrain.methods\[0\].backbone: SSMTL\+ trains ResNet50-FCN only/,
      ],
      [
        {
          segmentation: {
            train: [{ image: series[0].dicomDir, labels: series[0].labelsPath }],
            test: [{ image: series[0].dicomDir, labels: series[0].labelsPath }],
          },
        },
        /segmentation.test\[0\].image: .* is also a training scan/,
      ],
      [
        { segmentation: { train: [{ image: join(root, 'nope'), labels: series[0].labelsPath }], test: [] } },
        /segmentation.train\[0\].image: .*nope does not exist/,
      ],
    ];
    for (const [extra, message] of cases) {
      const r = await run(['experiment', config('bad', extra)]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  }, 120_000);
});
