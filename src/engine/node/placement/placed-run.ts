import type { AnchorPlan } from '../../data/sampler.ts';
import type { FinetuneEvent, FinetuneRunResult, FinetuneSnapshot } from '../../segmentation/finetune-trainer.ts';
import type { SeriesPrediction } from '../../segmentation/predict.ts';
import type { JobControl } from '../../train/control.ts';
import type { RunHooks, RunResult, SsmtlConfig, TensorRecord, TrainerSnapshot } from '../../train/ssmtl-trainer.ts';

/**
 * Where a run executes is its placement: in this process on a tfjs backend
 * (in-process.ts), or in a browser page's worker on Chromium's WebGPU
 * (browser-gpu/browser-gpu-pool.ts). The job that owns the run (pretrain-job.ts,
 * segmentation/finetune-job.ts, segmentation/predict-job.ts: its checkpoint files, the
 * model record, the summary) asks a placement for the run and sees only a PlacedRun.
 *
 *   owner ── request ──► placement ──► PlacedRun ── run(hooks) ──► result
 *                                          │ events, checkpoints (hooks) back to the owner
 */
export interface PlacedRun<Hooks, Result> {
  /** what the run got to compute on, and why not something faster */
  backend: { name: string; description: string; notes: string[] };
  run(hooks: Hooks): Promise<Result>;
  dispose(): Promise<void>;
}

/** A training run: it also reports its batching and hands out the trained weights. */
export interface PlacedTraining<Hooks, Result> extends PlacedRun<Hooks, Result> {
  /** images per forward/backward pass */
  microBatch: number;
  stepsPerEpoch: number;
  /** the network's parameters once the run is done */
  weights(): Promise<TensorRecord[]>;
}

/** A pre-training run's trainer. */
export interface PlacedPretrainer extends PlacedTraining<RunHooks, RunResult> {
  /** data-parallel gradient workers (1: none) */
  threads: number;
  heads: string[];
  plan: AnchorPlan;
  resumedFrom: { epoch: number; step: number } | null;
}

/** What a placement needs to build a pre-training's trainer. */
export interface PretrainRequest {
  config: Omit<SsmtlConfig, 'microBatch'>;
  /** series to train on (empty: all) */
  seriesIds: string[];
  /** the run continues from this snapshot (its micro-batch and threads are kept) */
  resume: TrainerSnapshot | null;
  /** forced by the caller (tests) or by the run being resumed */
  microBatch?: number;
  threads?: number;
}

export interface FinetuneRunHooks {
  control?: JobControl;
  onEvent?: (event: FinetuneEvent) => void;
  onCheckpoint?: (snapshot: FinetuneSnapshot) => Promise<void> | void;
  checkpointIntervalMs?: number;
}

/** A fine-tuning's trainer (request: segmentation/build-finetuner.ts's FinetuneRequest). */
export type PlacedFinetuner = PlacedTraining<FinetuneRunHooks, FinetuneRunResult>;

/** A series being segmented (request: segmentation/predict.ts's PredictRequest); the hook hears slices done. */
export type PlacedPredictor = PlacedRun<((done: number, total: number) => void) | undefined, SeriesPrediction>;

/** Where an owner's runs go: this process by default, a page's GPU when the studio picks one. */
export type Placement<Request, Placed> = (request: Request) => Promise<Placed>;
