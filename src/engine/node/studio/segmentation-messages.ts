import type { FinetuneSummary, PredictSummary, SegmentationJobEvent } from '../../../shared/segmentation.ts';
import type { FinetuneOptions } from '../segmentation/finetune-job.ts';
import type { PredictOptions } from '../segmentation/predict-job.ts';

/** What the studio sends the segmentation process, and what it answers (see segmentation-child.ts). */
export type SegmentationRequest = { type: 'finetune'; options: FinetuneOptions } | { type: 'predict'; options: PredictOptions };

export type SegmentationMessage =
  | { type: 'event'; event: SegmentationJobEvent }
  | { type: 'slice'; done: number; total: number }
  | { type: 'finetune-done'; summary: FinetuneSummary & { status: 'done' | 'cancelled' } }
  | { type: 'predict-done'; summary: PredictSummary }
  | { type: 'failed'; kind: 'input' | 'internal'; message: string };
