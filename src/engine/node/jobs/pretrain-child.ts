/** The pre-training job process (process/serve-job.ts): `ssmtl pretrain`, `serve` and the engine host start it. */
import type { JobEvent, PretrainSummary } from '../../../shared/job.ts';
import { runPretrain, type PretrainOptions } from '../pretrain-job.ts';
import { serveJob } from '../process/serve-job.ts';

serveJob<PretrainOptions, JobEvent, PretrainSummary>((options, { emit, control }) => runPretrain(options, { emit, control }));
