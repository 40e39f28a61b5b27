import { JobControl } from '../../train/control.ts';
import { storageErrorOf } from '../workspace/storage-problem.ts';
import { failureOf } from './job-failed-error.ts';
import type { FromJob, JobUsage, ToJob } from './job-messages.ts';
import { connectToParent } from './parent-link.ts';

/** What a job gets to talk back: its events, and the pause / resume / cancel it must obey. */
export interface JobIo<Event> {
  emit(event: Event): void;
  control: JobControl;
}

export interface ServeJobOptions {
  /**
   * 'stop' (default): a cancel reaches the run through `control`, which stops at a
   * consistent point (a training run writes its checkpoint) and returns.
   * 'exit': the run keeps nothing of a half-done job (an import is atomic per series, a
   * segmentation stores its result at the end), so a cancel ends the process at once.
   */
  onCancel?: 'stop' | 'exit';
}

/**
 * The job side of job-messages.ts: the whole body of a job process is
 * `serveJob((request, io) => runTheJob(request, io))`. The process waits for its one
 * request, runs it, answers 'done' or 'failed', and exits once that answer was handed
 * to the operating system. When the parent dies (SIGKILL of the CLI or of `serve`) the
 * run is cancelled, so a training run writes its checkpoint, and the process exits 0
 * without a word: nobody is left to read it.
 */
export function serveJob<Request extends { workspace: string }, Event, Result>(
  run: (request: Request, io: JobIo<Event>) => Promise<Result>,
  { onCancel = 'stop' }: ServeJobOptions = {},
): void {
  const parent = connectToParent<ToJob<Request>, FromJob<Event, Result>>();
  const control = new JobControl();
  let started = false;
  let ending = false;

  const finish = async (answer: FromJob<Event, Result> & { type: 'done' | 'failed' }): Promise<void> => {
    if (ending) return;
    ending = true;
    await parent.send({ ...answer, usage: usageSoFar() });
    process.exit(0);
  };
  const cancel = () => {
    control.cancel();
    if (!started || onCancel === 'exit') void finish({ type: 'failed', kind: 'cancelled', message: 'cancelled' });
  };

  const execute = async (request: Request) => {
    try {
      const result = await run(request, { emit: (event) => void parent.send({ type: 'event', event }), control });
      await finish({ type: 'done', result });
    } catch (error) {
      // A read-only, forbidden or full workspace is the user's to mend (exit 2 in the CLI).
      const failure = failureOf(storageErrorOf(error, request.workspace) ?? error);
      if (failure.kind === 'internal' && process.env.SSMTL_DEBUG && !parent.gone)
        process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
      await finish({ type: 'failed', kind: failure.kind, message: failure.message, hint: failure.hint });
    }
  };

  parent.onMessage((message) => {
    if (message.type === 'start') {
      if (started) return;
      started = true;
      void execute(message.request);
    } else if (message.command === 'cancel') cancel();
    else control[message.command]();
  });
  parent.onGone(cancel);
  // Ctrl-C in a terminal reaches the whole process group; the parent also sends 'cancel'.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, cancel);
}

function usageSoFar(): JobUsage {
  const usage = process.resourceUsage();
  return { peakRssMb: Math.round(usage.maxRSS / 1024), cpuSeconds: Math.round((usage.userCPUTime + usage.systemCPUTime) / 1e4) / 100 };
}
