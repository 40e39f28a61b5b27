import { randomUUID } from 'node:crypto';
import type {
  GpuAdapterSummary,
  GpuFinetuneTask,
  GpuPredictTask,
  GpuPretrainTask,
  GpuReport,
  GpuStartTask,
  GpuTask,
  GpuUploadPart,
} from '../../../../shared/gpu-worker.ts';
import { InputError } from '../../../../shared/errors.ts';
import { defaultBackbone, type BackendChoice } from '../../../../shared/job.ts';
import { chooseMicroBatch, webgpuActivationBudget } from '../../../backends/backend-names.ts';
import { stepsPerEpoch } from '../../../data/sampler.ts';
import type { SliceSource } from '../../../data/slice-source.ts';
import { concatChunks, encodeCheckpoint } from '../../../train/checkpoint-codec.ts';
import { encodeFinetunePayload } from '../../../segmentation/finetune-payload.ts';
import { finetuneStepsPerEpoch } from '../../../segmentation/finetune-trainer.ts';
import { finetuneMicroBatch, type FinetuneRequest } from '../../../segmentation/build-finetuner.ts';
import type { PredictRequest } from '../../../segmentation/predict.ts';
import { decodePrediction } from '../../../segmentation/prediction-bytes.ts';
import type { JobControl } from '../../../train/control.ts';
import { planTraining, taskNames } from '../../../train/ssmtl-trainer.ts';
import type { PlacedFinetuner, PlacedPredictor, PlacedPretrainer, PretrainRequest } from '../placed-run.ts';
import { BrowserGpuRun } from './browser-gpu-run.ts';
import { finetunerOnBrowserGpu, pretrainerOnBrowserGpu } from './browser-gpu-trainers.ts';

/** A run on a page's GPU checkpoints at least this often, as the job processes do. */
const CHECKPOINT_INTERVAL_MS = 5 * 60 * 1000;

/**
 * The pages on this machine that offered their WebGPU adapter for training
 * (shared/gpu-worker.ts: Electron's hidden compute window, or the tab of `ssmtl serve`),
 * and the runs placed on them (pre-training, fine-tuning, prediction). One run per page
 * at a time. Data never leaves the machine: the page fetches slices from the engine host.
 */
export class BrowserGpuPool {
  private readonly workers = new Map<string, { adapter: GpuAdapterSummary; run: BrowserGpuRun | null }>();

  /** `send` pushes a task to the page that registered `workerId`. */
  constructor(private readonly send: (workerId: string, task: GpuTask) => void) {}

  register(adapter: GpuAdapterSummary): string {
    const workerId = randomUUID();
    this.workers.set(workerId, { adapter, run: null });
    return workerId;
  }

  release(workerId: string): void {
    const worker = this.workers.get(workerId);
    if (!worker) return;
    this.workers.delete(workerId);
    worker.run?.lost(`the window training on ${worker.adapter.label} closed`);
  }

  /** The adapter training would use now, if any. */
  current(): GpuAdapterSummary | null {
    return this.pick()?.adapter ?? null;
  }

  /**
   * Where `choice` sends a training run: a page's GPU for 'webgpu'; for 'auto' only a
   * real (not software) GPU and only where no native TensorFlow is installed (which the
   * job process would prefer). null: train in a job process as usual.
   */
  choose(choice: BackendChoice, nativeTensorflow: boolean): string | null {
    const pick = this.pick();
    if (!pick) return null;
    if (choice === 'webgpu') return pick.workerId;
    if (choice === 'auto' && !nativeTensorflow && !pick.adapter.software) return pick.workerId;
    return null;
  }

  private pick(): { workerId: string; adapter: GpuAdapterSummary } | null {
    let best: { workerId: string; adapter: GpuAdapterSummary } | null = null;
    for (const [workerId, { adapter, run }] of this.workers) {
      if (run) continue;
      // The newest registration wins among equals (an older one may be a tab left open).
      if (!best || best.adapter.software || !adapter.software) best = { workerId, adapter };
    }
    return best;
  }

  /** Builds a pre-training trainer on the page `workerId`; it starts when the run's owner runs it. */
  placePretrain(
    workerId: string,
    source: SliceSource,
    request: PretrainRequest,
    checkpointIntervalMs = CHECKPOINT_INTERVAL_MS,
  ): PlacedPretrainer {
    const worker = this.idle(workerId);
    const { config } = request;
    const plan = planTraining(source, config, request.seriesIds);
    const heads = taskNames(config);
    const microBatch =
      request.resume?.config.microBatch ??
      request.microBatch ??
      chooseMicroBatch(
        config.batch,
        config.size,
        config.width,
        heads.length,
        webgpuActivationBudget(worker.adapter.software),
        config.backbone ?? defaultBackbone(config.method ?? 'ssmtl'),
      );
    const used = new Set(plan.used);
    const payload = request.resume ? concatChunks(encodeCheckpoint(snapshotHeader(request.resume), request.resume.tensors)) : null;
    const task: GpuPretrainTask = {
      type: 'pretrain',
      jobId: randomUUID(),
      config: { ...config, ts: [...config.ts], microBatch },
      series: source
        .listSeries()
        .filter((s) => used.has(s.id))
        .map(({ id, slices, rows, cols }) => ({ id, slices, rows, cols, positions: source.slicePositions?.(id) ?? null })),
      payloadBytes: payload?.length ?? 0,
      checkpointIntervalMs,
    };
    const run = this.attach(workerId, worker, task, payload);
    return pretrainerOnBrowserGpu(run, task.config, {
      backend: describeBackend(worker.adapter),
      heads,
      plan,
      stepsPerEpoch: stepsPerEpoch(plan.anchors.length, config.batch),
      resumedFrom: request.resume ? { epoch: request.resume.epoch, step: request.resume.step } : null,
    });
  }

  /** Builds a fine-tuning trainer on the page `workerId`; its examples and starting weights travel as the payload. */
  placeFinetune(workerId: string, request: FinetuneRequest, checkpointIntervalMs = CHECKPOINT_INTERVAL_MS): PlacedFinetuner {
    const worker = this.idle(workerId);
    const microBatch = finetuneMicroBatch(request, webgpuActivationBudget(worker.adapter.software));
    const payload = encodeFinetunePayload(request);
    const { network, size, width, batch, lr, seed, epochs } = request;
    const task: GpuFinetuneTask = {
      type: 'finetune',
      jobId: randomUUID(),
      config: { network, size, width, batch, lr, seed, epochs, microBatch },
      payloadBytes: payload.length,
      checkpointIntervalMs,
    };
    const run = this.attach(workerId, worker, task, payload);
    return finetunerOnBrowserGpu(run, {
      backend: describeBackend(worker.adapter),
      microBatch,
      stepsPerEpoch: finetuneStepsPerEpoch(request.examples.length, batch),
    });
  }

  /** Segments a series on the page `workerId`; the model's weights travel as the payload. */
  placePredict(workerId: string, request: PredictRequest, control?: JobControl): PlacedPredictor {
    const worker = this.idle(workerId);
    const { name, network, classes, size, width, seed, intensity } = request.model;
    const payload = concatChunks(
      encodeCheckpoint({ kind: 'ssmtl-segmentation-weights', name, network, classes, size, width, seed, intensity }, request.weights),
    );
    const task: GpuPredictTask = { type: 'predict', jobId: randomUUID(), series: request.series, payloadBytes: payload.length };
    const run = this.attach(workerId, worker, task, payload);
    return {
      backend: describeBackend(worker.adapter),
      run: async (onSlice) => {
        await run.start({
          control,
          onEvent: (event) => {
            if (event.type === 'slices') onSlice?.(event.done, event.total);
          },
        });
        return decodePrediction(run.predictionBytes(), request.series);
      },
      dispose: async () => run.dispose(),
    };
  }

  private idle(workerId: string): { adapter: GpuAdapterSummary; run: BrowserGpuRun | null } {
    const worker = this.workers.get(workerId);
    if (!worker) throw new InputError('the window offering its GPU has closed');
    if (worker.run) throw new InputError(`${worker.adapter.label} is already training`);
    return worker;
  }

  private attach(workerId: string, worker: { run: BrowserGpuRun | null }, task: GpuStartTask, payload: Uint8Array | null): BrowserGpuRun {
    const run = new BrowserGpuRun(
      workerId,
      task,
      payload,
      (message) => this.send(workerId, message),
      () => {
        if (worker.run === run) worker.run = null;
      },
    );
    worker.run = run;
    return run;
  }

  private runOf(workerId: string, jobId: string): BrowserGpuRun {
    const run = this.workers.get(workerId)?.run;
    if (!run || run.jobId !== jobId) throw new InputError(`no job '${jobId}' runs on this GPU worker`);
    return run;
  }

  report(workerId: string, jobId: string, report: GpuReport): void {
    this.runOf(workerId, jobId).report(report);
  }

  upload(workerId: string, jobId: string, part: GpuUploadPart, bytes: Uint8Array): Promise<void> {
    return this.runOf(workerId, jobId).receive(part, bytes);
  }

  download(workerId: string, jobId: string, offset: number, length: number): Uint8Array {
    return this.runOf(workerId, jobId).download(offset, length);
  }
}

function describeBackend(adapter: GpuAdapterSummary): PlacedPretrainer['backend'] {
  return {
    name: 'webgpu',
    description: `webgpu (${adapter.label}${adapter.software ? ', software' : ''}, in the browser's GPU worker)`,
    notes: adapter.software ? [`webgpu is running on a software adapter (${adapter.label}), not a GPU`] : [],
  };
}

function snapshotHeader(snapshot: PretrainRequest['resume'] & object): Record<string, unknown> {
  const { tensors: _tensors, ...rest } = snapshot;
  return rest as unknown as Record<string, unknown>;
}
