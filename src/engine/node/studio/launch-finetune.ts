import { existsSync } from 'node:fs';
import type { FinetuneSettings, JobSummary } from '../../../shared/api.ts';
import { InputError, errorMessage } from '../../../shared/errors.ts';
import type { SegmentationJobEvent } from '../../../shared/segmentation.ts';
import { startFinetuneProcess } from '../jobs/job-processes.ts';
import { tensorflowInstalled } from '../load-backend.ts';
import { startOnBrowserGpu } from '../placement/browser-gpu/start-on-browser-gpu.ts';
import { DEFAULT_FINETUNE, runFinetune, type FinetuneOptions, type FinetuneOutcome } from '../segmentation/finetune-job.ts';
import { modelFiles, readModel } from '../workspace/model-state.ts';
import { modelShape } from './job-limits.ts';
import { finetuneDone, finetuneProgress } from './job-progress.ts';
import { launchJob, pausable } from './launch-job.ts';
import { launchPredict } from './launch-predict.ts';
import { finetuneModelName } from './names.ts';
import type { StudioSession } from './studio-session.ts';

/** Fine-tuning from scratch (no pre-trained model to match): small enough for a workstation CPU. */
const SCRATCH_SIZE = 128;
const SCRATCH_WIDTH = 16;

/**
 * Fine-tunes a segmentation model from the interface's settings (in the fine-tuning
 * process, or on a page's WebGPU), then segments the series on screen with it. A stopped
 * fine-tuning named again continues from its checkpoint.
 */
export function launchFinetune(session: StudioSession, settings: FinetuneSettings): JobSummary {
  const workspace = session.requireWorkspace();
  const init = settings.init ?? 'none';
  const name = settings.name || finetuneModelName(init);
  if (session.jobs.active().some((j) => j.kind === 'finetune' && j.produced.includes(name)))
    throw new InputError(`a fine-tuning of '${name}' is already queued or running: wait for it`);
  const options: FinetuneOptions = {
    workspace: workspace.dir,
    name,
    init,
    epochs: settings.epochs,
    seed: 0,
    backend: settings.backend,
    batch: DEFAULT_FINETUNE.batch,
    lr: DEFAULT_FINETUNE.lr,
    // From scratch there is no pre-trained size to follow: a size and width a workstation CPU can train.
    ...(init === 'none' ? { size: SCRATCH_SIZE, width: SCRATCH_WIDTH } : {}),
    // A stopped fine-tuning (listed with `resumable`) continues from its checkpoint.
    resume: Boolean(settings.name) && !workspace.getModel(name) && existsSync(modelFiles(workspace.dir, name).finetuneCheckpoint),
  };
  const from = init === 'none' ? undefined : readModel(workspace, init);
  const use = { batch: DEFAULT_FINETUNE.batch, heads: 1 };
  const shape = from ? modelShape(from, use) : { ...use, size: SCRATCH_SIZE, width: SCRATCH_WIDTH, backbone: 'unet' as const };
  const gpu = session.browserGpus.choose(settings.backend, tensorflowInstalled());
  const title = `Fine-tuning ${name} (${init === 'none' ? 'from random weights' : `from ${init}`})${options.resume ? ', resumed' : ''}`;
  return launchJob<FinetuneOutcome>(session, { kind: 'finetune', title, produced: [name], shape }, (progress, jobId) => {
    const emit = (event: SegmentationJobEvent) => progress(finetuneProgress(event));
    const handle = gpu
      ? startOnBrowserGpu((control) =>
          runFinetune(options, {
            emit,
            control,
            place: async (request) => session.browserGpus.placeFinetune(gpu, request),
          }),
        )
      : startFinetuneProcess(options, emit);
    return {
      result: handle.result,
      controls: pausable(handle),
      changes: 'models-changed',
      done: (summary) => {
        if (summary.status === 'done' && settings.predictSeriesId && workspace.findSeries(settings.predictSeriesId)) {
          try {
            launchPredict(session, { model: summary.model, seriesId: settings.predictSeriesId, backend: settings.backend });
          } catch (error) {
            session.jobs.update(
              jobId(),
              { message: `${session.jobs.get(jobId())?.message ?? ''} · could not segment the series: ${errorMessage(error)}` },
              { urgent: true },
            );
          }
        }
        return finetuneDone(summary);
      },
    };
  });
}
