import { JobControl } from '../../../train/control.ts';
import { failureOf } from '../../process/job-failed-error.ts';
import type { JobProcess } from '../../process/start-job-process.ts';

/**
 * A job whose run is placed on a browser page's GPU (browser-gpu-pool.ts). The run's
 * owner (pretrain-job.ts, finetune-job.ts, predict-job.ts: checkpoint files, the model
 * record) runs here, in the engine host: it only waits on the page, so it needs no
 * process of its own. The handle is the one a job process gives.
 */
export function startOnBrowserGpu<T>(run: (control: JobControl) => Promise<T>): Omit<JobProcess<T>, 'pid' | 'usage'> {
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
