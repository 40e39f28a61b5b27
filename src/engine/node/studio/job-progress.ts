import type { JobSummary, LossPoint } from '../../../shared/api.ts';
import { wordError } from '../../../shared/errors.ts';
import type { JobEvent, PretrainSummary } from '../../../shared/job.ts';
import type { Progress } from '../../../shared/progress.ts';
import type { PredictSummary, SegmentationJobEvent } from '../../../shared/segmentation.ts';
import type { ImportResult } from '../../../shared/series.ts';
import { JobFailedError } from '../process/job-failed-error.ts';
import type { FinetuneOutcome } from '../segmentation/finetune-job.ts';
import { INTERFACE_WORDS } from './interface-words.ts';

/**
 * How each job's events and its end show in the job's summary (shared/api.ts JobSummary):
 * every "event → progress bar, detail line, loss chart, message" of the interface is here.
 * launch-job.ts applies them; the launchers only pick the function for their kind.
 */
export interface SummaryChange {
  change: Partial<JobSummary>;
  /** push now (a state change) instead of at the throttled pace of progress */
  urgent?: boolean;
  /** a point of the job's loss chart */
  loss?: LossPoint;
  /** the compute the job got: the interface's header shows the last one */
  compute?: { backend: string; notes: string[] };
}

export function importProgress(progress: Progress): SummaryChange {
  return {
    change: {
      state: 'running',
      fraction: progress.total > 0 ? progress.done / progress.total : 0,
      detail: `${progress.stage} ${progress.done}/${progress.total}`,
    },
  };
}

export function importDone(result: ImportResult): Partial<JobSummary> {
  return {
    state: 'done',
    fraction: 1,
    detail: `${result.imported.length} series imported${result.skipped.length ? `, ${result.skipped.length} files skipped` : ''}`,
    produced: result.imported.map((s) => s.id),
    skipped: result.skipped,
    message: result.imported.length === 0 ? 'No image series found there.' : null,
  };
}

export function pretrainProgress(event: JobEvent): SummaryChange | null {
  switch (event.type) {
    case 'started':
      return {
        change: { state: 'running', backend: event.backend, backendNotes: event.backendNotes, detail: `epoch 1/${event.epochs}` },
        urgent: true,
        compute: { backend: event.backend, notes: event.backendNotes },
      };
    case 'progress':
      return {
        change: {
          fraction: event.totalSteps > 0 ? event.globalStep / event.totalSteps : 0,
          etaSeconds: Number.isFinite(event.etaSeconds) ? event.etaSeconds : null,
          detail: `epoch ${event.epoch + 1}/${event.epochs} · step ${event.globalStep}/${event.totalSteps} · loss ${event.loss.toFixed(4)} · ${event.imagesPerSecond.toFixed(1)} img/s`,
        },
        loss: { step: event.globalStep, losses: event.headLosses },
      };
    case 'state':
      return event.state === 'running' || event.state === 'paused' ? { change: { state: event.state }, urgent: true } : null;
    case 'log':
      // e.g. a GPU worker loading slices before its first step
      return { change: { detail: event.message } };
    default:
      return null;
  }
}

export function pretrainDone(summary: PretrainSummary): Partial<JobSummary> {
  if (summary.status !== 'done')
    return { state: 'cancelled', message: 'Stopped; its checkpoint is kept: start the same settings again to resume.' };
  const loss = `loss ${fixed4(summary.loss.first)} → ${fixed4(summary.loss.last)}`;
  return {
    state: 'done',
    fraction: 1,
    message: `Model ${summary.model}: ${plural(summary.epochs, 'epoch')} in ${Math.round(summary.seconds)} s on ${summary.backend}, ${loss}`,
  };
}

export function pretrainFailed(error: unknown): Partial<JobSummary> {
  return {
    message: `${error instanceof JobFailedError && error.kind === 'nan' ? 'Training diverged: ' : ''}${wordError(error, INTERFACE_WORDS)}`,
  };
}

export function finetuneProgress(event: SegmentationJobEvent): SummaryChange | null {
  switch (event.type) {
    case 'started':
      return {
        change: {
          state: 'running',
          backend: event.backend,
          backendNotes: event.backendNotes,
          detail: `${event.trainSlices} annotated slices · classes ${event.classes.join(', ')}`,
        },
        urgent: true,
        compute: { backend: event.backend, notes: event.backendNotes },
      };
    case 'progress': {
      const total = event.totalSteps;
      return {
        change: {
          // Until convergence there is no total: the bar stays where it was.
          ...(total ? { fraction: Math.min(1, event.globalStep / total) } : {}),
          etaSeconds: event.etaSeconds,
          detail: `epoch ${event.epoch + 1} · step ${event.globalStep}${total ? `/${total}` : ''} · loss ${event.loss.toFixed(4)}`,
        },
        loss: { step: event.globalStep, losses: { loss: event.loss } },
      };
    }
    default:
      return null;
  }
}

export function finetuneDone(summary: FinetuneOutcome): Partial<JobSummary> {
  if (summary.status !== 'done')
    return { state: 'cancelled', message: 'Stopped at a checkpoint: Resume on the Fine-tune & Review screen continues it.' };
  const trained = `${plural(summary.trainSlices, 'slice')}, ${plural(summary.epochs, 'epoch')} in ${Math.round(summary.seconds)} s on ${summary.backend}`;
  return { state: 'done', fraction: 1, message: `Model ${summary.model}: ${trained}` };
}

export function predictProgress(done: number, total: number): SummaryChange {
  return { change: { state: 'running', fraction: total ? done / total : 0, detail: `slice ${done}/${total}` } };
}

/** `names`: the model's label names by value (a value it has no name for is printed as such). */
export function predictDone(summary: PredictSummary, onBrowserGpu: boolean, names: ReadonlyMap<number, string>): Partial<JobSummary> {
  const volumes = Object.entries(summary.volumesMl)
    .map(([value, ml]) => `${names.get(Number(value)) ?? `label ${value}`} ${ml.toFixed(1)} mL`)
    .join(', ');
  return {
    state: 'done',
    fraction: 1,
    message: `${plural(summary.slices, 'slice')} in ${summary.seconds.toFixed(1)} s${onBrowserGpu ? ' on webgpu' : ''} · ${volumes}`,
  };
}

/** Any job that ended without its result: cancelled before it could answer (an import, a segmentation), or failed. */
export function jobFailed(error: unknown): Partial<JobSummary> {
  const state = error instanceof JobFailedError && error.kind === 'cancelled' ? 'cancelled' : 'failed';
  return { state, message: wordError(error, INTERFACE_WORDS) };
}

function fixed4(value: number | null): string {
  return value === null ? '–' : value.toFixed(4);
}

/** "1 epoch", "3 epochs" */
function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
