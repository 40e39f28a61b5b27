import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobSummary, StudioEvent } from '../../../shared/api.ts';
import type { GpuAdapterSummary, GpuReport, GpuStartTask } from '../../../shared/gpu-worker.ts';
import { runFinetuneTask, runPredictTask, runPretrainTask, type GpuTaskIo } from '../../browser/gpu-task.ts';
import { JobControl } from '../../train/control.ts';
import { loadBackend } from '../load-backend.ts';
import { runPretrain } from '../pretrain-job.ts';
import { DEFAULT_FINETUNE, runFinetune } from '../segmentation/finetune-job.ts';
import { runPredict } from '../segmentation/predict-job.ts';
import { readPrediction } from '../segmentation/prediction-store.ts';
import { StudioService } from '../studio/studio-service.ts';
import { Workspace } from '../workspace/workspace.ts';
import { jobEnded, syntheticVolume, writeNifti } from '../test-fixtures.ts';

/**
 * Pre-training placed on a page's GPU worker (shared/gpu-worker.ts), with the page played
 * by this test: it registers, receives its tasks as events, and runs the worker's own
 * task code (engine/browser/gpu-task.ts: pre-training and fine-tuning) on wasm, talking to the engine only through the
 * validated API calls a browser makes. What a browser adds (WebGPU, the Worker, the
 * WebSocket) is covered by tests/e2e/gpu-worker.e2e.test.ts.
 */
const SETTINGS = { seriesIds: [], method: 'ssmtl' as const, t: 2, epochs: 3, size: 32, width: 4, batch: 4, backend: 'webgpu' as const };
const ADAPTER: GpuAdapterSummary = { label: 'Test GPU', software: false };

describe('training and segmenting in a GPU worker page', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ssmtl-gpu-worker-'));
  const workspace = join(dir, 'workspace');
  const service = new StudioService({ workspace, transport: 'serve' });
  const events: StudioEvent[] = [];
  service.onEvent((event) => events.push(event));

  beforeAll(async () => {
    await loadBackend('wasm');
    for (const seed of [1, 2]) writeNifti(join(dir, `scan${seed}.nii`), syntheticVolume(12, 24, 24, seed), 12, 24, 24);
    const job = await finished(await service.startImport([dir]));
    expect(job.state, job.message ?? '').toBe('done');
  }, 120_000);

  afterAll(async () => {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const finished = (job: JobSummary) => jobEnded(service, job);

  /** A page lending its GPU: the API calls gpu-worker-client.ts makes, in parts of `partBytes`. */
  async function page(partBytes = 4096): Promise<{ workerId: string; controls: Map<string, JobControl>; close: () => Promise<void> }> {
    const { workerId } = (await service.call('registerGpuWorker', [ADAPTER])) as { workerId: string };
    const controls = new Map<string, JobControl>();
    const stopListening = service.onEvent((event) => {
      if (event.type !== 'gpu-task' || event.workerId !== workerId) return;
      const task = event.task;
      if (task.type === 'control') return controls.get(task.jobId)?.[task.command]();
      const control = new JobControl();
      controls.set(task.jobId, control);
      void run(workerId, task, control, partBytes);
    });
    return {
      workerId,
      controls,
      close: async () => {
        stopListening();
        for (const control of controls.values()) control.cancel();
        await service.call('releaseGpuWorker', [workerId]);
      },
    };
  }

  async function run(workerId: string, task: GpuStartTask, control: JobControl, partBytes: number): Promise<void> {
    let payload: Uint8Array | null = null;
    if (task.payloadBytes > 0) {
      payload = new Uint8Array(task.payloadBytes);
      for (let offset = 0; offset < payload.length; offset += partBytes) {
        const part = (await service.call('gpuWorkerDownload', [
          workerId,
          task.jobId,
          offset,
          Math.min(partBytes, payload.length - offset),
        ])) as Uint8Array;
        payload.set(part, offset);
      }
    }
    const io: GpuTaskIo = {
      control,
      report: (report: GpuReport) => void service.call('gpuWorkerReport', [workerId, task.jobId, report]).catch(() => control.cancel()),
      upload: async (kind, reason, bytes) => {
        for (let offset = 0; offset < bytes.length; offset += partBytes) {
          const part = bytes.slice(offset, offset + partBytes);
          await service.call('gpuWorkerUpload', [workerId, task.jobId, { kind, reason, offset, total: bytes.length }, part]);
        }
      },
      fetchSlice: async (seriesId, index) => {
        const answer = service.readPixels({ kind: 'slice', seriesId, index });
        if (!answer) throw new Error(`no slice ${index} of ${seriesId}`);
        return new Float32Array(answer.bytes.slice().buffer);
      },
    };
    if (task.type === 'pretrain') await runPretrainTask(task, payload, io);
    else if (task.type === 'finetune') await runFinetuneTask(task, payload!, io);
    else await runPredictTask(task, payload!, io);
  }

  let reference: number[] = [];

  /** A stored prediction's labels and per-slice uncertainty. */
  function storedPrediction(seriesId: string, model: string): { labels: Uint16Array; uncertainty: number[] } {
    const store = Workspace.open(workspace, { create: false });
    try {
      const stored = readPrediction(store, store.requireSeries(seriesId), model);
      if (!stored) throw new Error(`no prediction of ${model}`);
      return { labels: stored.labels, uncertainty: stored.meta.uncertainty };
    } finally {
      store.close();
    }
  }

  /** Per-epoch losses as the model record keeps them. */
  function epochLosses(name: string): number[] {
    const store = Workspace.open(workspace, { create: false });
    try {
      return (store.getModel(name)?.meta as { losses: { perEpoch: number[] } }).losses.perEpoch;
    } finally {
      store.close();
    }
  }

  it('trains there with the losses the job process gets, and keeps the model in the workspace', async () => {
    const gpu = await page();
    expect((await service.workspace()).backend.gpuWorker).toEqual(ADAPTER);
    const job = await finished(await service.startPretrain({ ...SETTINGS, name: 'on-gpu' }));
    expect(job.state, job.message ?? '').toBe('done');
    expect(job.backend).toBe('webgpu');
    expect(job.message).toMatch(/3 epochs .* on webgpu/);
    expect(job.lossHistory.length).toBeGreaterThan(0);
    const model = (await service.listModels()).find((m) => m.name === 'on-gpu');
    expect(model).toMatchObject({ kind: 'pretrained', complete: true });
    expect(existsSync(join(workspace, 'models', 'on-gpu', 'weights.bin'))).toBe(true);
    expect(existsSync(join(workspace, 'models', 'on-gpu', 'checkpoint.bin'))).toBe(true);

    // The same run in this process on the same backend: the same anchors, order and steps.
    const local = await runPretrain({
      ...SETTINGS,
      ts: [SETTINGS.t],
      backbone: 'unet',
      lr: 0.001,
      seed: 0,
      backend: 'wasm',
      workspace,
      name: 'in-process',
      resume: false,
      threads: 1,
    });
    expect(epochLosses('on-gpu')).toEqual(local.loss.perEpoch);
    reference = local.loss.perEpoch;
    await gpu.close();
    expect((await service.workspace()).backend.gpuWorker).toBeNull();
  }, 120_000);

  it.each(['ssmtl+', 'mocov2'] as const)(
    'trains %s there (ResNet50-FCN) with the losses the job process gets',
    async (method) => {
      const gpu = await page();
      const settings = { ...SETTINGS, method, epochs: 1, size: 64, width: 2 };
      const job = await finished(await service.startPretrain({ ...settings, name: `gpu-${method}` }));
      expect(job.state, job.message ?? '').toBe('done');
      expect(job.backend).toBe('webgpu');
      const local = await runPretrain({
        ...settings,
        ts: method === 'mocov2' ? [] : [settings.t],
        backbone: 'resnet50-fcn',
        lr: 0.001,
        seed: 0,
        backend: 'wasm',
        workspace,
        name: `local-${method}`,
        resume: false,
      });
      expect(epochLosses(`gpu-${method}`)).toEqual(local.loss.perEpoch);
      await gpu.close();
    },
    120_000,
  );

  it('fine-tunes there from the pre-trained backbone with the losses the job process gets', async () => {
    const [series] = await service.listSeries();
    // Two annotated slices: the brightest blob as label 500.
    for (const index of [3, 8]) {
      const slice = service.readPixels({ kind: 'slice', seriesId: series.id, index })!;
      const values = new Float32Array(slice.bytes.slice().buffer);
      const labels = Uint16Array.from(values, (v) => (v > 300 ? 500 : 0));
      await service.saveAnnotation(series.id, index, new Uint8Array(labels.buffer));
    }
    const gpu = await page(1 << 16);
    const job = await finished(
      await service.startFinetune({ init: 'on-gpu', epochs: 3, backend: 'webgpu', name: 'seg-on-gpu', predictSeriesId: series.id }),
    );
    expect(job.state, job.message ?? '').toBe('done');
    expect(job.backend).toBe('webgpu');
    expect(job.message).toMatch(/2 slices, 3 epochs in .* on webgpu/);
    // The series is then segmented there too, as the interface asks after fine-tuning.
    let predicted: JobSummary | undefined;
    while (!(predicted = (await service.listJobs()).find((j) => j.kind === 'predict' && ['done', 'failed'].includes(j.state))))
      await new Promise((r) => setTimeout(r, 20));
    expect(predicted.state, predicted.message ?? '').toBe('done');
    expect(predicted.message).toMatch(/12 slices in .* on webgpu/);
    await gpu.close();
    // Segmenting again in this process stores the very same labels and uncertainties.
    const onGpu = storedPrediction(series.id, 'seg-on-gpu');
    expect(onGpu.labels.length).toBe(12 * 24 * 24);
    await runPredict({ workspace, model: 'seg-on-gpu', seriesId: series.id, out: null, backend: 'wasm' });
    expect(storedPrediction(series.id, 'seg-on-gpu')).toEqual(onGpu);
    const local = await runFinetune({
      workspace,
      name: 'seg-in-process',
      init: 'on-gpu',
      epochs: 3,
      seed: 0,
      backend: 'wasm',
      batch: DEFAULT_FINETUNE.batch,
      lr: DEFAULT_FINETUNE.lr,
    });
    const store = Workspace.open(workspace, { create: false });
    try {
      const meta = store.getModel('seg-on-gpu')?.meta as { loss: number[]; backend: string; init: string };
      expect(meta).toMatchObject({ backend: 'webgpu', init: 'on-gpu' });
      expect(meta.loss).toEqual(local.loss.perEpoch);
    } finally {
      store.close();
    }
  }, 120_000);

  it('a cancelled run resumes from its checkpoint (downloaded by the page) and ends as the uninterrupted one', async () => {
    const gpu = await page(1000);
    const first = await service.startPretrain({ ...SETTINGS, name: 'resumed' });
    while (!((await service.listJobs()).find((j) => j.id === first.id)?.lossHistory.length ?? 0))
      await new Promise((r) => setTimeout(r, 20));
    await service.controlJob(first.id, 'cancel');
    const cancelled = await finished(first);
    expect(cancelled.state).toBe('cancelled');
    const second = await service.startPretrain({ ...SETTINGS, name: 'resumed' });
    expect(second.title).toMatch(/resumed/);
    const done = await finished(second);
    expect(done.state, done.message ?? '').toBe('done');
    expect(epochLosses('resumed')).toEqual(reference);
    await gpu.close();
  }, 120_000);

  it('a page that goes away fails its run and keeps the last checkpoint; a stranger cannot report for it', async () => {
    const gpu = await page();
    const job = await service.startPretrain({ ...SETTINGS, epochs: 1000, name: 'abandoned' });
    // Its first epoch's checkpoint is written.
    while (!existsSync(join(workspace, 'models', 'abandoned', 'checkpoint.bin'))) await new Promise((r) => setTimeout(r, 20));
    const jobId = [...gpu.controls.keys()][0];
    const stranger = (await service.call('registerGpuWorker', [{ label: 'Other', software: true }])) as { workerId: string };
    await expect(
      service.call('gpuWorkerReport', [stranger.workerId, jobId, { type: 'failed', kind: 'internal', message: 'x' }]),
    ).rejects.toThrow(/no job/);
    await expect(
      service.call('gpuWorkerReport', [gpu.workerId, jobId, { type: 'event', event: { type: 'progress', loss: 'NaN' } }]),
    ).rejects.toThrow(/gpuWorkerReport argument 3/);
    await service.call('releaseGpuWorker', [stranger.workerId]);
    await gpu.close();
    const failed = await finished(job);
    expect(failed.state).toBe('failed');
    expect(failed.message).toMatch(/window training on Test GPU closed.*last checkpoint is kept/);
    expect(existsSync(join(workspace, 'models', 'abandoned', 'checkpoint.bin'))).toBe(true);
  }, 120_000);

  it('without a page, or for a software adapter under auto, pre-training stays in the job process', async () => {
    const gpu = await page();
    await gpu.close();
    const job = await finished(await service.startPretrain({ ...SETTINGS, epochs: 1, backend: 'wasm', name: 'cpu-run' }));
    expect(job.backend).toBe('wasm');
  }, 120_000);
});
