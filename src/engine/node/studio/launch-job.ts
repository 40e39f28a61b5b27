import type { JobKind, JobSummary } from '../../../shared/api.ts';
import type { JobProcess } from '../process/start-job-process.ts';
import { jobFailed, type SummaryChange } from './job-progress.ts';
import type { JobControls } from './job-registry.ts';
import type { JobShape } from './job-limits.ts';
import type { StudioSession } from './studio-session.ts';

/** A job as its launcher started it (launch-import.ts, launch-pretrain.ts, …). */
export interface LaunchedJob<T> {
  result: Promise<T>;
  controls: JobControls;
  /** what a result shows (job-progress.ts), after doing what follows it */
  done: (result: T) => Partial<JobSummary>;
  /** what a failure adds to its message */
  failed?: (error: unknown) => Partial<JobSummary>;
  /** what the interfaces reload once the job ended */
  changes?: 'series-changed' | 'models-changed';
}

/** What the interface shows of a job before it starts. */
export interface JobHeading {
  kind: JobKind;
  title: string;
  /** model names the job makes, shown from the start (and taken while it is queued or running) */
  produced?: string[];
  /** a pre-training's settings, shown from the start (the form shows them after a reload) */
  pretrainSettings?: JobSummary['pretrainSettings'];
  /** the network and series it works on, for the memory it needs (job-limits.ts); none: its kind's measured peak */
  shape?: JobShape;
}

/**
 * Registers a job and hands it to the session's queue (job-queue.ts), which calls `start`
 * at once or when a slot and memory are free; until then the job is "queued" and a cancel
 * takes it out of the queue without ever starting it. `start` gets `progress`, which
 * applies a job-progress.ts change to this job, and the job's id.
 */
export function launchJob<T>(
  session: StudioSession,
  heading: JobHeading,
  start: (progress: (change: SummaryChange | null) => void, jobId: () => string) => LaunchedJob<T>,
): JobSummary {
  const { kind, title, produced = [], pretrainSettings, shape } = heading;
  const memory = session.limits.memoryNeed(kind, shape);
  let id = '';
  const job = session.jobs.create(kind, title, { cancel: () => cancelQueued(session, id) }, session.queue.placeFor(kind, memory));
  id = job.id;
  session.jobs.update(id, { produced, ...(pretrainSettings && { pretrainSettings }) });
  session.queue.submit({ id, kind, memory, start: () => run(session, id, start) });
  return session.jobs.get(id) ?? job;
}

/** A cancel before the job started: it leaves the queue, no process ever starts. */
function cancelQueued(session: StudioSession, id: string): void {
  if (!session.queue.withdraw(id)) return;
  session.jobs.update(id, { state: 'cancelled', queue: null, message: 'Cancelled before it started.' }, { urgent: true });
}

/** Starts a job that left the queue; the promise settles once its summary shows how it ended. */
function run<T>(
  session: StudioSession,
  id: string,
  start: (progress: (change: SummaryChange | null) => void, jobId: () => string) => LaunchedJob<T>,
): Promise<void> {
  let launched: LaunchedJob<T>;
  try {
    launched = start(
      (change) => applyChange(session, id, change),
      () => id,
    );
  } catch (error) {
    session.jobs.update(id, { ...jobFailed(error), queue: null }, { urgent: true });
    return Promise.resolve();
  }
  session.jobs.started(id, launched.controls);
  session.track(launched.result);
  return launched.result
    .then(
      (result) => session.jobs.update(id, { etaSeconds: null, ...launched.done(result) }, { urgent: true }),
      (error: unknown) => session.jobs.update(id, { etaSeconds: null, ...jobFailed(error), ...launched.failed?.(error) }, { urgent: true }),
    )
    .finally(() => {
      if (launched.changes) session.emit({ type: launched.changes });
    });
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
