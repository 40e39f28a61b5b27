import { JobControl } from '../../train/control.ts';
import { failureOf } from '../process/job-failed-error.ts';

/**
 * A training job whose trainer runs in a browser page's GPU worker. The run's owner
 * (pretrain-job.ts or finetune-job.ts: checkpoint files, the model record) runs here, in
 * the engine host: it only waits on the worker, so it needs no process of its own. The
 * handle is the one a job process gives (process/start-job-process.ts).
 */
export interface GpuJobHandle<T> {
  pause(): void;
  resume(): void;
  cancel(): void;
  /** rejects with JobFailedError, as a job process's handle does */
  result: Promise<T>;
}

export function startOnGpuWorker<T>(run: (control: JobControl) => Promise<T>): GpuJobHandle<T> {
  const control = new JobControl();
  const result = run(control).catch((error: unknown) => {
    throw failureOf(error);
  });
  return {
    pause: () => control.pause(),
    resume: () => control.resume(),
    cancel: () => control.cancel(),
    result,
  };
}
