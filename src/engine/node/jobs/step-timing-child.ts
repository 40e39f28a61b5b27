/** Times one training step for the Pre-train form's estimate (process/serve-job.ts); nothing is written, so a cancel ends it at once. */
import { serveJob } from '../process/serve-job.ts';
import { timeTrainingStep, type StepTiming, type StepTimingRequest } from '../step-timing.ts';

serveJob<StepTimingRequest, never, StepTiming>((request) => timeTrainingStep(request), { onCancel: 'exit' });
