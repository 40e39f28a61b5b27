import type { JobEvent, PretrainSummary } from '../../../shared/job.ts';
import type { Progress } from '../../../shared/progress.ts';
import type { PredictSummary, SegmentationJobEvent } from '../../../shared/segmentation.ts';
import type { ImportResult } from '../../../shared/series.ts';
import type { PacsConnection } from '../pacs/pacs-peer.ts';
import type { PretrainOptions } from '../pretrain-job.ts';
import { startJobProcess, type JobProcess } from '../process/start-job-process.ts';
import type { FinetuneOptions, FinetuneOutcome } from '../segmentation/finetune-job.ts';
import type { PredictOptions } from '../segmentation/predict-job.ts';
import type { StepTiming, StepTimingRequest } from '../step-timing.ts';

/**
 * The engine's jobs, each started in its own process (one entry file per job in this
 * folder, all speaking process/job-messages.ts). A handle's result rejects with
 * JobFailedError (process/job-failed-error.ts).
 */

/** A pre-training run (`ssmtl pretrain`, and the interface's Pre-train screen). */
export function startPretrainProcess(options: PretrainOptions, onEvent: (event: JobEvent) => void = () => {}): JobProcess<PretrainSummary> {
  return startJobProcess('pretrain-job', options, onEvent, 'training');
}

export interface ImportRequest {
  workspace: string;
  paths: string[];
  /** write the built-in sample into the workspace and import its scans */
  sample: boolean;
}

/** An import of files and folders, or of the built-in sample, with its progress. */
export function startImportProcess(request: ImportRequest, onProgress: (progress: Progress) => void): JobProcess<ImportResult> {
  return startJobProcess('import-job', request, onProgress, 'import');
}

export interface PacsGetRequest {
  workspace: string;
  /** the entry and its secret: they travel to the job over IPC and are written nowhere */
  connection: PacsConnection;
  seriesUids: string[];
}

/** Series retrieved from a PACS into the workspace, then imported as a folder is (its progress; its answer is an import's). */
export function startPacsGetProcess(request: PacsGetRequest, onProgress: (progress: Progress) => void): JobProcess<ImportResult> {
  return startJobProcess('pacs-get-job', request, onProgress, 'PACS retrieval');
}

/** A fine-tuning run of the interface. */
export function startFinetuneProcess(
  options: FinetuneOptions,
  onEvent: (event: SegmentationJobEvent) => void,
): JobProcess<FinetuneOutcome> {
  return startJobProcess('finetune-job', options, onEvent, 'finetune');
}

export interface SlicesDone {
  done: number;
  total: number;
}

/** Segmenting a series with a segmentation model, slice by slice. */
export function startPredictProcess(options: PredictOptions, onSlices: (progress: SlicesDone) => void): JobProcess<PredictSummary> {
  return startJobProcess('predict-job', options, onSlices, 'predict');
}

/** One timed training step on random data, for an estimate of a run's time. */
export function startStepTimingProcess(request: StepTimingRequest): JobProcess<StepTiming> {
  return startJobProcess('step-timing-job', request, () => {}, 'step timing');
}
