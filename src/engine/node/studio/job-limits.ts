import type { JobKind } from '../../../shared/api.ts';

/**
 * How many jobs of the studio run at once, and the free memory each needs to start: the
 * one place to change them (job-queue.ts obeys them; StudioServiceOptions.jobLimits
 * overrides them for one session). Jobs share a lane when they compete for the same
 * thing: pre-training and fine-tuning both fill the CPU or GPU for hours.
 */
export type JobLane = 'training' | 'predict' | 'import';

export const LANE_OF: Record<JobKind, JobLane> = { pretrain: 'training', finetune: 'training', predict: 'predict', import: 'import' };

export interface JobLimits {
  /** jobs of a lane that run at the same time */
  running: Record<JobLane, number>;
  /** bytes of free memory a job of this kind needs before it starts (a model, a series and the backend's buffers) */
  memory: Record<JobKind, number>;
}

const MiB = 2 ** 20;

export const DEFAULT_JOB_LIMITS: JobLimits = {
  running: { training: 1, predict: 2, import: 1 },
  memory: { pretrain: 2048 * MiB, finetune: 1536 * MiB, predict: 1024 * MiB, import: 512 * MiB },
};

/** The defaults, with a session's overrides. */
export function jobLimits(overrides?: { running?: Partial<JobLimits['running']>; memory?: Partial<JobLimits['memory']> }): JobLimits {
  return {
    running: { ...DEFAULT_JOB_LIMITS.running, ...overrides?.running },
    memory: { ...DEFAULT_JOB_LIMITS.memory, ...overrides?.memory },
  };
}
