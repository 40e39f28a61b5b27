import type { JobKind, JobSummary } from '../../../shared/api.ts';
import type { JobProcess } from '../process/start-job-process.ts';
import { jobFailed, type SummaryChange } from './job-progress.ts';
import type { JobControls } from './job-registry.ts';
import type { StudioSession } from './studio-session.ts';

/** A job as its launcher started it (launch-import.ts, launch-pretrain.ts, …). */
export interface LaunchedJob<T> {
  result: Promise<T>;
  controls: JobControls;
  /** model names or series ids the job makes, shown from the start */
  produced?: string[];
  /** what the summary carries from the start besides (a pre-training's settings) */
  extra?: Pick<JobSummary, 'pretrainSettings'>;
  /** what a result shows (job-progress.ts), after doing what follows it */
  done: (result: T) => Partial<JobSummary>;
  /** what a failure adds to its message */
  failed?: (error: unknown) => Partial<JobSummary>;
  /** what the interfaces reload once the job ended */
  changes?: 'series-changed' | 'models-changed';
}

/**
 * Registers a job that `start` starts and settles its summary when the result comes.
 * `start` gets `progress`, which applies a job-progress.ts change to this job: the job's
 * id is known only once it is registered, after `start` returns, but progress comes later.
 */
export function launchJob<T>(
  session: StudioSession,
  kind: JobKind,
  title: string,
  start: (progress: (change: SummaryChange | null) => void, jobId: () => string) => LaunchedJob<T>,
): JobSummary {
  let id = '';
  const launched = start(
    (change) => applyChange(session, id, change),
    () => id,
  );
  const job = session.jobs.create(kind, title, launched.controls);
  id = job.id;
  if (launched.produced || launched.extra) session.jobs.update(id, { produced: launched.produced ?? [], ...launched.extra });
  session.track(launched.result);
  launched.result
    .then(
      (result) => session.jobs.update(id, { etaSeconds: null, ...launched.done(result) }, { urgent: true }),
      (error: unknown) => session.jobs.update(id, { etaSeconds: null, ...jobFailed(error), ...launched.failed?.(error) }, { urgent: true }),
    )
    .finally(() => {
      if (launched.changes) session.emit({ type: launched.changes });
    });
  return session.jobs.get(id) ?? job;
}

function applyChange(session: StudioSession, id: string, update: SummaryChange | null): void {
  if (!update) return;
  if (update.compute) session.compute = { lastUsed: update.compute.backend, notes: update.compute.notes };
  if (update.loss) session.jobs.addLoss(id, update.loss);
  session.jobs.update(id, update.change, { urgent: update.urgent });
}

/** The controls of a job that can pause (a training job, in a process or on a browser GPU). */
export function pausable(handle: Pick<JobProcess<unknown>, 'pause' | 'resume' | 'cancel'>): JobControls {
  return { pause: () => handle.pause(), resume: () => handle.resume(), cancel: () => handle.cancel() };
}
