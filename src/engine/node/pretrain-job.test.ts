import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { NonFiniteLossError } from '../train/errors.ts';
import { readCheckpointFile } from './checkpoint-file.ts';
import { startPretrainProcess } from './jobs/job-processes.ts';
import { JobFailedError } from './process/job-failed-error.ts';
import { runPretrain, type PretrainOptions } from './pretrain-job.ts';
import { CHECKPOINT_FILE, WEIGHTS_FILE } from './workspace/model-state.ts';
import { syntheticVolume, writeNifti } from './test-fixtures.ts';
import { Workspace } from './workspace/workspace.ts';

const bin = resolve('bin/ssmtl.mjs');
let workspace = '';

const base = (name: string): PretrainOptions => ({
  workspace,
  seriesIds: [],
  method: 'ssmtl',
  backbone: 'unet',
  ts: [3],
  epochs: 3,
  batch: 8,
  size: 32,
  width: 4,
  lr: 1e-3,
  seed: 0,
  backend: 'wasm',
  name,
  resume: false,
});

beforeAll(() => {
  const root = mkdtempSync(join(tmpdir(), 'ssmtl-job-'));
  const volumes = join(root, 'volumes');
  mkdirSync(volumes);
  writeNifti(join(volumes, 'a.nii'), syntheticVolume(22, 36, 40, 1), 22, 36, 40);
  writeNifti(join(volumes, 'b.nii'), syntheticVolume(18, 32, 32, 2), 18, 32, 32);
  writeNifti(join(volumes, 'short.nii'), syntheticVolume(5, 32, 32, 3), 5, 32, 32);
  workspace = join(root, 'ws');
  execFileSync(process.execPath, [bin, 'import', volumes, '--workspace', workspace, '--json'], {
    env: { ...process.env, SSMTL_QUIET: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
});

function weights(name: string): Map<string, number[]> {
  const { tensors } = readCheckpointFile(join(workspace, 'models', name, WEIGHTS_FILE));
  return new Map(tensors.map((t) => [t.name, Array.from(t.data)]));
}

describe('pre-training jobs on a workspace', () => {
  it('a run killed with SIGKILL mid-epoch and resumed matches an uninterrupted run', async () => {
    const straight = await runPretrain(base('straight'));
    expect(straight.status).toBe('done');
    expect(straight.skipped.map((s) => s.series.endsWith('short.nii'))).toEqual([true]);

    let killedAt = 0;
    const job = startPretrainProcess({ ...base('killed'), checkpointIntervalMs: 0 }, (event) => {
      if (event.type === 'progress' && event.globalStep >= 5 && killedAt === 0 && job.pid) {
        killedAt = event.globalStep;
        process.kill(job.pid, 'SIGKILL');
      }
    });
    await expect(job.result).rejects.toBeInstanceOf(JobFailedError);
    expect(killedAt).toBeGreaterThan(0);
    const { header } = readCheckpointFile(join(workspace, 'models', 'killed', CHECKPOINT_FILE));
    expect((header as unknown as { snapshot: { globalStep: number } }).snapshot.globalStep).toBeGreaterThan(0);

    const resumed = await runPretrain({ ...base('killed'), resume: true });
    expect(resumed.resumed).toBe(true);
    expect(resumed.loss.perEpoch).toEqual(straight.loss.perEpoch);
    expect(resumed.headLosses).toEqual(straight.headLosses);
    expect(weights('killed')).toEqual(weights('straight'));

    const ws = Workspace.open(workspace, { create: false });
    const record = ws.getModel('killed');
    ws.close();
    expect(record?.kind).toBe('pretrained');
    expect(record?.meta).toMatchObject({
      method: 'ssmtl',
      t: [3],
      size: 32,
      width: 4,
      normalization: 'instance',
      backend: 'wasm',
      complete: true,
    });
  }, 120_000);

  it('pauses, resumes and cancels a job in its own process, streaming progress', async () => {
    const states: string[] = [];
    const progress: { step: number; imagesPerSecond: number; etaSeconds: number; headLosses: Record<string, number> }[] = [];
    let job: ReturnType<typeof startPretrainProcess> | null = null;
    job = startPretrainProcess({ ...base('controlled'), epochs: 30 }, (event) => {
      if (event.type === 'state') {
        states.push(event.state);
        if (event.state === 'paused') setTimeout(() => job!.resume(), 200);
      }
      if (event.type === 'progress') {
        progress.push(event);
        if (progress.length === 2) job!.pause();
        if (progress.length === 4) job!.cancel();
      }
    });
    const summary = await job.result;
    expect(summary.status).toBe('cancelled');
    expect(states).toEqual(['running', 'paused', 'running', 'cancelled']);
    expect(progress.length).toBeGreaterThanOrEqual(4);
    expect(Object.keys(progress[0].headLosses)).toEqual(['t3-', 't3+']);
    expect(progress[0].imagesPerSecond).toBeGreaterThan(0);
    expect(progress[0].etaSeconds).toBeGreaterThan(0);
    expect(existsSync(join(workspace, 'models', 'controlled', CHECKPOINT_FILE))).toBe(true);
  }, 60_000);

  it('stops on NaN with a clear error and keeps the last good checkpoint', async () => {
    const error = await runPretrain({ ...base('exploding'), lr: 1e30, checkpointIntervalMs: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteLossError);
    const { header, tensors } = readCheckpointFile(join(workspace, 'models', 'exploding', CHECKPOINT_FILE));
    expect((header as unknown as { snapshot: { globalStep: number } }).snapshot.globalStep).toBeGreaterThan(0);
    expect(tensors.every((t) => t.data.every((v) => Number.isFinite(v)))).toBe(true);
  }, 60_000);

  it('fails clearly when the disk fills up while checkpointing, keeping the previous checkpoint', async () => {
    let files = 0;
    let chunks = 0;
    // the first checkpoint succeeds; the second dies halfway with ENOSPC
    const writeChunk = (fd: number, data: Uint8Array) => {
      if (Buffer.from(data.subarray(0, 8)).toString('latin1') === 'SSMTLCK1') files++;
      if (files === 2 && ++chunks === 20) {
        writeSync(fd, data, 0, data.length >> 1);
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      writeSync(fd, data);
    };
    const error = (await runPretrain({ ...base('diskfull'), checkpointIntervalMs: 0 }, { writeChunk }).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/could not write the checkpoint.*ENOSPC.*previous checkpoint is kept.*--resume/);
    const { header } = readCheckpointFile(join(workspace, 'models', 'diskfull', CHECKPOINT_FILE));
    expect((header as unknown as { snapshot: { globalStep: number } }).snapshot.globalStep).toBe(1);
    const resumed = await runPretrain({ ...base('diskfull'), resume: true });
    expect(resumed.status).toBe('done');
  }, 60_000);

  it('finishes a run killed after its last checkpoint but before it was recorded complete', async () => {
    await runPretrain({ ...base('finishing'), epochs: 1 });
    const ws = Workspace.open(workspace, { create: false });
    const record = ws.getModel('finishing')!;
    ws.saveModel({ ...record, meta: { ...(record.meta as object), complete: false } });
    ws.close();
    rmSync(join(workspace, 'models', 'finishing', WEIGHTS_FILE));
    const again = await runPretrain({ ...base('finishing'), epochs: 1, resume: true });
    expect(again.status).toBe('done');
    expect(existsSync(join(workspace, 'models', 'finishing', WEIGHTS_FILE))).toBe(true);
    const error = (await runPretrain({ ...base('finishing'), epochs: 1, resume: true }).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/already finished its 1 epochs/);
  }, 60_000);

  it('refuses a backend that is not installed, naming what to install, and leaves no model folder', async () => {
    const error = (await runPretrain({ ...base('tf'), backend: 'tensorflow' }).catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('InputError');
    expect(error.message).toMatch(/npm install @tensorflow\/tfjs-node/);
    expect(existsSync(join(workspace, 'models', 'tf'))).toBe(false);
  });
});
