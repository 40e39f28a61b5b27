import { InputError, errorMessage } from '../../../shared/errors.ts';
import type { JobEvent, JobState } from '../../../shared/job.ts';
import { JobControl } from '../../train/control.ts';
import type { PlacedTrainer, PlacementRequest } from '../../train/placed-trainer.ts';
import { JobFailedError, type JobHandle } from '../job-runner.ts';
import { runPretrain, type PretrainOptions } from '../pretrain-job.ts';

/**
 * A pre-training job whose trainer runs in a browser page's GPU worker. The run's owner
 * (checkpoint files, the model record) runs here, in the engine host: it only waits on
 * the worker, so it needs no process of its own. The handle is the one job-runner.ts
 * gives for a job process.
 */
export function startPretrainOnGpuWorker(
  options: PretrainOptions,
  place: (request: PlacementRequest) => PlacedTrainer,
  onEvent: (event: JobEvent) => void,
): JobHandle {
  const control = new JobControl();
  let state: JobState = 'starting';
  const emit = (event: JobEvent) => {
    if (event.type === 'state') state = event.state;
    onEvent(event);
  };
  const result = runPretrain(options, { emit, control, place: async (request) => place(request) }).then(
    (summary) => {
      state = summary.status === 'done' ? 'done' : 'cancelled';
      return summary;
    },
    (error: unknown) => {
      state = 'failed';
      if (error instanceof JobFailedError) throw error;
      throw new JobFailedError(error instanceof InputError ? 'input' : 'internal', errorMessage(error));
    },
  );
  return {
    pid: undefined,
    state: () => state,
    pause: () => control.pause(),
    resume: () => control.resume(),
    cancel: () => control.cancel(),
    result,
  };
}
