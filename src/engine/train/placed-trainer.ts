import type { AnchorPlan } from '../data/sampler.ts';
import type { RunHooks, RunResult, SsmtlConfig, TensorRecord, TrainerSnapshot } from './ssmtl-trainer.ts';

/**
 * A pre-training run's trainer wherever it was placed: in this process on a tfjs backend
 * (engine/node/local-trainer.ts), or in a browser worker on Chromium's WebGPU
 * (engine/node/gpu-worker/remote-trainer.ts). The code that owns the run — checkpoint
 * files, the model record, the summary — sees only this.
 */
export interface PlacedTrainer {
  backend: { name: string; description: string; notes: string[] };
  /** images per forward/backward pass */
  microBatch: number;
  /** data-parallel gradient workers (1: none) */
  threads: number;
  heads: string[];
  plan: AnchorPlan;
  stepsPerEpoch: number;
  resumedFrom: { epoch: number; step: number } | null;
  run(hooks: RunHooks): Promise<RunResult>;
  /** the network's parameters once the run is done */
  weights(): Promise<TensorRecord[]>;
  dispose(): Promise<void>;
}

/** What a placement needs to build the trainer. */
export interface PlacementRequest {
  config: Omit<SsmtlConfig, 'microBatch'>;
  /** series to train on (empty: all) */
  seriesIds: string[];
  /** the run continues from this snapshot (its micro-batch and threads are kept) */
  resume: TrainerSnapshot | null;
  /** forced by the caller (tests) or by the run being resumed */
  microBatch?: number;
  threads?: number;
}
