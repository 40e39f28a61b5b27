import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { syntheticVolume, writeNifti } from '../../engine/node/test-fixtures.ts';

const bin = resolve('bin/ssmtl.mjs');
const env = { ...process.env, SSMTL_QUIET: '1' };
let root = '';
let workspace = '';

function ssmtl(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same without blocking the test worker's event loop (long runs of commands). */
function ssmtlAsync(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args], { env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((done) => child.on('close', (code) => done({ code, stdout, stderr })));
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'ssmtl-cli-'));
  const volumes = join(root, 'volumes');
  mkdirSync(volumes);
  writeNifti(join(volumes, 'a.nii'), syntheticVolume(40, 40, 40, 1), 40, 40, 40);
  writeNifti(join(volumes, 'tiny.nii'), syntheticVolume(4, 32, 32, 2), 4, 32, 32);
  workspace = join(root, 'ws');
  expect(ssmtl('import', volumes, '--workspace', workspace, '--json').code).toBe(0);
});

const small = ['--size', '32', '--width', '4', '--batch', '8', '--backend', 'wasm'];

describe('ssmtl pretrain', () => {
  it('prints the contract JSON, skips a short series with a reason, and lists the model in info', () => {
    const r = ssmtl('pretrain', '--workspace', workspace, ...small, '--epochs', '2', '--t', '2', '--t', '4', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ model: 'ssmtl-t2-4-32px-w4-seed0', method: 'ssmtl', backbone: 'unet', backend: 'wasm', epochs: 2 });
    expect(out.loss.perEpoch).toHaveLength(2);
    expect(Object.keys(out.headLosses)).toEqual(['t2-', 't2+', 't4-', 't4+']);
    expect(out.steps).toBeGreaterThan(0);
    expect(out.imagesPerSecond).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/skipped series .*tiny\.nii: 4 slices/);
    const info = JSON.parse(ssmtl('info', '--workspace', workspace, '--json').stdout);
    expect(info.models).toContainEqual(expect.objectContaining({ name: 'ssmtl-t2-4-32px-w4-seed0', kind: 'pretrained', method: 'ssmtl' }));
  }, 60_000);

  it('pre-trains SSMTL+ and MoCo v2 on the ResNet50-FCN, reporting each task and recording method and backbone', async () => {
    const resnet = ['--size', '64', '--width', '2', '--batch', '8', '--backend', 'wasm', '--epochs', '1'];
    const plus = await ssmtlAsync(
      'pretrain',
      '--workspace',
      workspace,
      ...resnet,
      '--method',
      'ssmtl+',
      '--t',
      '2',
      '--lambda',
      '0.5',
      '--json',
    );
    expect(plus.code, plus.stderr).toBe(0);
    const p = JSON.parse(plus.stdout);
    expect(p).toMatchObject({ model: 'ssmtl+-t2-resnet50-fcn-64px-w2-seed0', method: 'ssmtl+', backbone: 'resnet50-fcn', epochs: 1 });
    expect(Object.keys(p.headLosses)).toEqual(['t2-', 't2+', 'sim']);
    const moco = await ssmtlAsync('pretrain', '--workspace', workspace, ...resnet, '--method', 'mocov2', '--json');
    expect(moco.code, moco.stderr).toBe(0);
    const m = JSON.parse(moco.stdout);
    expect(m).toMatchObject({ model: 'mocov2-resnet50-fcn-64px-w2-seed0', method: 'mocov2', backbone: 'resnet50-fcn' });
    expect(Object.keys(m.headLosses)).toEqual(['infonce']);
    expect(m.loss.last).toBeGreaterThan(0);
  }, 120_000);

  it('on SIGTERM checkpoints and exits 1 naming --resume; --resume then finishes the run', async () => {
    const child = spawn(
      process.execPath,
      [bin, 'pretrain', '--workspace', workspace, ...small, '--epochs', '40', '--name', 'stopped', '--json'],
      { env },
    );
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!sent && /epoch 2:/.test(stderr)) {
        sent = true;
        child.kill('SIGTERM');
      }
    });
    const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
    expect(code).toBe(1);
    expect(stderr).toMatch(/continue it with --resume --name stopped/);
    const r = ssmtl('pretrain', '--workspace', workspace, '--backend', 'wasm', '--name', 'stopped', '--resume', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.epochs).toBe(40);
    expect(out.loss.perEpoch).toHaveLength(40);
  }, 120_000);

  it('exits 2 with one line for bad input', async () => {
    const cases: [string[], RegExp][] = [
      [['--method', 'simclr'], /--method must be one of ssmtl, ssmtl\+, mocov2/],
      [['--method', 'ssmtl+', '--backbone', 'unet'], /--backbone unet: SSMTL\+ trains ResNet50-FCN only/],
      [['--method', 'mocov2', '--t', '5'], /MoCo v2 has no slice distance/],
      [['--lambda', '2'], /--lambda is the weight of the similarity task of --method ssmtl\+/],
      [['--method', 'ssmtl+', '--size', '48'], /--size: size must be a multiple of 32/],
      [['--size', '30'], /--size: size must be a multiple of 16/],
      [['--backend', 'tensorflow'], /npm install @tensorflow\/tfjs-node/],
      [['--backend', 'metal'], /--backend must be/],
      [['--t', '0'], /--t must be an integer/],
      [['--t', '30', '--name', 'too-far'], /no series has enough slices/],
      [['--series', 'nope'], /--series: no series 'nope'/],
      [['--resume'], /--resume needs --name/],
      [['--resume', '--name', 'never-run'], /nothing to resume/],
    ];
    for (const [args, message] of cases) {
      const r = await ssmtlAsync('pretrain', '--workspace', workspace, ...args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(
        r.stderr
          .trim()
          .split('\n')
          .filter((l) => l.startsWith('ssmtl pretrain:')),
      ).toHaveLength(1);
    }
    const empty = join(root, 'empty');
    mkdirSync(empty);
    expect(ssmtl('pretrain', '--workspace', empty).code).toBe(2);
  }, 120_000);
});

describe('ssmtl bench', () => {
  it('times steps and reports the contract fields', () => {
    const r = ssmtl('bench', '--size', '32', '--width', '4', '--batch', '4', '--steps', '2', '--backend', 'wasm', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ backend: 'wasm', method: 'ssmtl', size: 32, width: 4, batch: 4 });
    for (const k of ['msPerStep', 'cpuMsPerStep', 'imagesPerSecond', 'peakRssMb']) expect(out[k]).toBeGreaterThan(0);
    expect(ssmtl('bench', '--method', 'mocov2', '--backbone', 'unet').code).toBe(2);
  }, 60_000);

  it('--jobs runs import, pre-training, fine-tuning and predict as processes and reports each one’s time and peak memory', async () => {
    const r = await ssmtlAsync('bench', '--jobs', '--slices', '12', '--image-size', '64', ...small, '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.jobs.map((j: { job: string }) => j.job)).toEqual(['import', 'pretrain', 'finetune', 'predict']);
    for (const job of out.jobs) {
      expect(job.seconds, job.job).toBeGreaterThan(0);
      expect(job.cpuSeconds, job.job).toBeGreaterThan(0);
      // A Node process with the engine loaded holds tens of MB at least; a job that holds a model, more.
      expect(job.peakRssMb, job.job).toBeGreaterThan(30);
    }
    expect(out.jobs[0].work).toBe('2 series, 24 slices of 64 × 64');
    expect(out.jobs[3].work).toBe('12 slices');
  }, 180_000);
});
