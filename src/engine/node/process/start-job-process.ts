import { fork } from 'node:child_process';
import type { JobCommand } from '../../../shared/job.ts';
import { JobFailedError } from './job-failed-error.ts';
import type { FromJob, JobUsage, ToJob } from './job-messages.ts';
import { processEntry, type EngineProcess, type ProcessEntry } from './process-entry.ts';

/** A job running in its own process, as its parent (the CLI, `serve`, the engine host) holds it. */
export interface JobProcess<Result> {
  readonly pid: number | undefined;
  pause(): void;
  resume(): void;
  cancel(): void;
  /** the job's result; rejects with JobFailedError */
  readonly result: Promise<Result>;
  /** what the process used, once it answered (null if it died without answering) */
  readonly usage: Promise<JobUsage | null>;
}

/**
 * Starts `job` (an engine process of process-entry.ts whose entry calls serveJob; tests
 * pass a fixture's entry) in a child process of this one and sends it `request`. `what`
 * names it in errors ("the training process ended unexpectedly"). The child's stdout
 * goes to our stderr: stdout of the CLI is reserved for its JSON document.
 */
export function startJobProcess<Request, Event, Result>(
  job: EngineProcess | ProcessEntry,
  request: Request,
  onEvent: (event: Event) => void,
  what: string,
): JobProcess<Result> {
  const { path, execArgv } = typeof job === 'string' ? processEntry(job) : job;
  const child = fork(path, [], { execArgv, stdio: ['ignore', 2, 'inherit', 'ipc'], env: process.env });
  let cancelled = false;
  let reportUsage: (usage: JobUsage | null) => void = () => {};
  const usage = new Promise<JobUsage | null>((resolve) => (reportUsage = resolve));
  const result = new Promise<Result>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      outcome();
    };
    child.on('message', (raw) => {
      const message = raw as FromJob<Event, Result>;
      if (message.type === 'event') return onEvent(message.event);
      reportUsage(message.usage ?? null);
      if (message.type === 'done') settle(() => resolve(message.result));
      else settle(() => reject(new JobFailedError(message.kind, message.message, message.hint)));
    });
    child.on('close', () => reportUsage(null));
    // 'close' comes after the channel has delivered every message the child sent.
    child.on('close', (code, signal) =>
      settle(() =>
        reject(
          cancelled
            ? new JobFailedError('cancelled', 'cancelled')
            : new JobFailedError('internal', `the ${what} process ended unexpectedly (${signal ?? `exit code ${code}`})`),
        ),
      ),
    );
    child.on('error', (error) =>
      settle(() => reject(new JobFailedError('internal', `could not start the ${what} process: ${error.message}`))),
    );
  });
  const send = (message: ToJob<Request>) => {
    // A child that has gone away settles `result` through 'close'; a failed write adds nothing.
    if (child.connected) child.send(message, undefined, {}, () => {});
  };
  const command = (type: JobCommand['type']) => {
    if (type === 'cancel') cancelled = true;
    send({ type: 'command', command: type });
  };
  send({ type: 'start', request });
  return {
    pid: child.pid,
    pause: () => command('pause'),
    resume: () => command('resume'),
    cancel: () => command('cancel'),
    result,
    usage,
  };
}
