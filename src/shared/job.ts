/**
 * Long-running engine jobs (pre-training first): the events they stream and the commands
 * they obey, the same over every transport (child process, utilityProcess, WebSocket).
 *
 *   starting ──► running ◄──► paused
 *                  │
 *                  ├──► done
 *                  ├──► cancelled   (last checkpoint kept; resumable with --resume)
 *                  └──► failed      (input | nan | internal; last good checkpoint kept)
 */
export type JobState = 'starting' | 'running' | 'paused' | 'done' | 'cancelled' | 'failed';

export type JobCommand = { type: 'pause' } | { type: 'resume' } | { type: 'cancel' };

export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export type BackendChoice = BackendName | 'auto';

/** A pre-training run's settings, as the trainer and a GPU worker's task carry them (engine/train/ssmtl-trainer.ts). */
export interface SsmtlConfig {
  ts: number[];
  size: number;
  width: number;
  batch: number;
  lr: number;
  seed: number;
  epochs: number;
  /** images per forward/backward pass; gradients of a batch are accumulated over
   * micro-batches (exact: the U-Net has no batch statistics). Bounds activation memory. */
  microBatch: number;
}

/** How a pre-training session ended (the trainer's, wherever it ran). */
export interface PretrainRunResult {
  status: 'done' | 'cancelled' | 'stopped';
  perEpoch: number[];
  perEpochHeads: number[][];
  steps: number;
  /** training seconds summed over every session of the run */
  seconds: number;
  imagesPerSecond: number;
}

export interface SkippedSeriesInfo {
  series: string;
  reason: string;
}

export interface PretrainSummary {
  model: string;
  method: string;
  backbone: string;
  backend: string;
  epochs: number;
  steps: number;
  seconds: number;
  imagesPerSecond: number;
  loss: { first: number | null; last: number | null; perEpoch: number[] };
  /** additions to the contract's fields */
  headLosses: Record<string, number[]>;
  resumed: boolean;
  skipped: SkippedSeriesInfo[];
  /** 'done', or 'cancelled' / 'stopped' for a run that ended early (resumable) */
  status: 'done' | 'cancelled' | 'stopped';
}

export type JobEvent =
  | {
      type: 'started';
      model: string;
      method: string;
      backend: string;
      /** e.g. why a GPU was not used */
      backendNotes: string[];
      epochs: number;
      stepsPerEpoch: number;
      totalSteps: number;
      anchors: number;
      series: string[];
      skipped: SkippedSeriesInfo[];
      heads: string[];
      resumedFrom: { epoch: number; step: number } | null;
      microBatch: number;
    }
  | {
      type: 'progress';
      /** 0-based epoch in progress */
      epoch: number;
      epochs: number;
      /** steps done in this epoch */
      step: number;
      stepsPerEpoch: number;
      globalStep: number;
      totalSteps: number;
      loss: number;
      headLosses: Record<string, number>;
      imagesPerSecond: number;
      etaSeconds: number;
    }
  | { type: 'epoch'; epoch: number; loss: number; headLosses: Record<string, number> }
  | { type: 'checkpoint'; epoch: number; step: number; reason: 'epoch' | 'interval' | 'pause' | 'cancel' }
  | { type: 'state'; state: JobState }
  | { type: 'log'; message: string }
  | { type: 'done'; summary: PretrainSummary }
  | { type: 'failed'; kind: 'input' | 'nan' | 'internal'; message: string };
