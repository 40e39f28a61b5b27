/**
 * The segmentation job process of the interface (process/serve-job.ts); `ssmtl predict`
 * runs the same function in its own process. A prediction is stored only once complete,
 * so a cancel ends the process at once.
 */
import type { PredictSummary } from '../../../shared/segmentation.ts';
import { runPredict, type PredictOptions } from '../segmentation/predict-job.ts';
import { serveJob } from '../process/serve-job.ts';
import type { SlicesDone } from './job-processes.ts';

serveJob<PredictOptions, SlicesDone, PredictSummary>(
  (options, { emit }) => runPredict(options, { onSlice: (done, total) => emit({ done, total }) }),
  { onCancel: 'exit' },
);
