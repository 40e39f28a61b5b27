/** The fine-tuning job process of the interface (process/serve-job.ts); `ssmtl finetune` runs the same function in its own process. */
import type { SegmentationJobEvent } from '../../../shared/segmentation.ts';
import { runFinetune, type FinetuneOptions, type FinetuneOutcome } from '../segmentation/finetune-job.ts';
import { serveJob } from '../process/serve-job.ts';

serveJob<FinetuneOptions, SegmentationJobEvent, FinetuneOutcome>((options, { emit, control }) => runFinetune(options, { emit, control }));
