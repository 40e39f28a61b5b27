import { randomUUID } from 'node:crypto';
import type { GpuAdapterSummary, GpuReport, GpuTask, GpuUploadPart } from '../../../shared/gpu-worker.ts';
import { InputError } from '../../../shared/errors.ts';
import type { BackendChoice } from '../../../shared/job.ts';
import { chooseMicroBatch, webgpuActivationBudget } from '../../backends/backend-names.ts';
import { headNames, stepsPerEpoch } from '../../data/sampler.ts';
import type { SliceSource } from '../../data/slice-source.ts';
import { concatChunks, encodeCheckpoint } from '../../train/checkpoint-codec.ts';
import type { PlacementRequest } from '../../train/placed-trainer.ts';
import { planTraining } from '../../train/ssmtl-trainer.ts';
import { RemoteTrainer } from './remote-trainer.ts';

/**
 * The pages that offered their WebGPU adapter for training (shared/gpu-worker.ts), and
 * the runs placed on them. One run per page at a time.
 */
export class GpuWorkers {
  private readonly workers = new Map<string, { adapter: GpuAdapterSummary; run: RemoteTrainer | null }>();

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

  /** The adapter pre-training would use now, if any. */
  current(): GpuAdapterSummary | null {
    return this.pick()?.adapter ?? null;
  }

  /**
   * Where `choice` sends a pre-training run: a page's GPU for 'webgpu'; for 'auto' only a
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

  /** Builds a trainer on the page `workerId`; it starts when the run's owner runs it. */
  place(workerId: string, source: SliceSource, request: PlacementRequest, checkpointIntervalMs: number): RemoteTrainer {
    const worker = this.workers.get(workerId);
    if (!worker) throw new InputError('the window offering its GPU has closed');
    if (worker.run) throw new InputError(`${worker.adapter.label} is already training`);
    const { config } = request;
    const plan = planTraining(source, config, request.seriesIds);
    const heads = headNames(config.ts);
    const microBatch = request.resume?.config.microBatch ?? request.microBatch ?? chooseMicroBatch(config.batch, config.size, config.width, heads.length, webgpuActivationBudget(worker.adapter.software));
    const used = new Set(plan.used);
    const resumeBytes = request.resume ? concatChunks(encodeCheckpoint(snapshotHeader(request.resume), request.resume.tensors)) : null;
    const run = new RemoteTrainer(
      workerId,
      {
        type: 'pretrain',
        // The page's handle on this run (not the interface's job id, which may not exist yet).
        jobId: randomUUID(),
        config: { ...config, ts: [...config.ts], microBatch },
        series: source
          .listSeries()
          .filter((s) => used.has(s.id))
          .map(({ id, slices, rows, cols }) => ({ id, slices, rows, cols })),
        resumeBytes: resumeBytes?.length ?? 0,
        checkpointIntervalMs,
      },
      resumeBytes,
      (task) => this.send(workerId, task),
      {
        backend: {
          name: 'webgpu',
          description: `webgpu (${worker.adapter.label}${worker.adapter.software ? ', software' : ''}, in the browser's GPU worker)`,
          notes: worker.adapter.software ? [`webgpu is running on a software adapter (${worker.adapter.label}), not a GPU`] : [],
        },
        heads,
        plan,
        stepsPerEpoch: stepsPerEpoch(plan.anchors.length, config.batch),
        resumedFrom: request.resume ? { epoch: request.resume.epoch, step: request.resume.step } : null,
      },
      () => {
        if (this.workers.get(workerId)?.run === run) this.workers.get(workerId)!.run = null;
      },
    );
    worker.run = run;
    return run;
  }

  private runOf(workerId: string, jobId: string): RemoteTrainer {
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

function snapshotHeader(snapshot: PlacementRequest['resume'] & object): Record<string, unknown> {
  const { tensors: _tensors, ...rest } = snapshot;
  return rest as unknown as Record<string, unknown>;
}
