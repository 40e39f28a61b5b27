import type { JobCommand } from '../../../shared/job.ts';
import type { ErrorHint } from '../../../shared/errors.ts';
import type { JobFailureKind } from './job-failed-error.ts';

/**
 * The one protocol between a job's parent (start-job-process.ts) and its process
 * (serve-job.ts), whatever the job:
 *
 *   parent ── { type: 'start', request } ──────────────► job     (once)
 *   parent ── { type: 'command', command } ────────────► job     (pause | resume | cancel)
 *   job    ── { type: 'event', event } ────────────────► parent  (any number)
 *   job    ── { type: 'done', result, usage }  or  { type: 'failed', kind, message, hint, usage } ► parent, then it exits
 *
 * A job whose parent goes away cancels its run (a training run writes its checkpoint)
 * and exits 0.
 */
export type ToJob<Request> = { type: 'start'; request: Request } | { type: 'command'; command: JobCommand['type'] };

/** What the job process used, measured by itself as it ends (`ssmtl bench --jobs` reports it). */
export interface JobUsage {
  /** the process's peak resident memory */
  peakRssMb: number;
  /** user + system CPU time */
  cpuSeconds: number;
}

export type FromJob<Event, Result> =
  | { type: 'event'; event: Event }
  | { type: 'done'; result: Result; usage?: JobUsage }
  | { type: 'failed'; kind: JobFailureKind; message: string; hint?: ErrorHint; usage?: JobUsage };
