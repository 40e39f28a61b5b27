/**
 * Long-running engine jobs (pre-training first): the events they stream and the commands
 * they obey, the same over every transport (child process, utilityProcess, WebSocket).
 *
 *   queued ──► starting ──► running ◄──► paused
 *     │                         │
 *     └──► cancelled            ├──► done
 *   (waits for a slot or        ├──► cancelled   (last checkpoint kept; resumable with --resume)
 *    memory: studio/job-queue)  └──► failed      (input | nan | internal; last good checkpoint kept)
 */
import type { IntensityMapping } from './intensity-mapping.ts';

export type JobState = 'queued' | 'starting' | 'running' | 'paused' | 'done' | 'cancelled' | 'failed';

/** A job that has not ended: waiting its turn, or holding a process (or a page's GPU). */
export function isActiveJob(state: JobState): boolean {
  return state === 'queued' || state === 'starting' || state === 'running' || state === 'paused';
}

/** Where a queued job waits: its place among the waiting jobs of its lane (1: next) and why. */
export interface JobQueuePlace {
  position: number;
  /** e.g. "1 training job running", "needs 2.8 GB of free memory, 1.2 GB free" */
  reason: string;
}

/** e.g. "queued (next): 1 training job running", "queued (3rd in line): 2 segmentations running" */
export function queuedWords({ position, reason }: JobQueuePlace): string {
  const tens = position % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][position % 10] ?? 'th');
  return `queued (${position === 1 ? 'next' : `${position}${suffix} in line`}): ${reason}`;
}

export type JobCommand = { type: 'pause' } | { type: 'resume' } | { type: 'cancel' };

export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export type BackendChoice = BackendName | 'auto';

/**
 * Self-supervised pre-training methods (CONTRACT.md `pretrain --method`): SSMTL (paper
 * Sec. 3.2, two slice-prediction tasks), SSMTL+ (Sec. 3.3, plus the similarity task) and
 * the MoCo v2 baseline (Sec. 4.2).
 */
export type PretrainMethod = 'ssmtl' | 'ssmtl+' | 'mocov2';
export const PRETRAIN_METHODS: readonly PretrainMethod[] = ['ssmtl', 'ssmtl+', 'mocov2'];

/** Networks a method trains: the U-Net (SSMTL's) or the ResNet50-FCN (SSMTL+'s and MoCo v2's encoder). */
export type Backbone = 'unet' | 'resnet50-fcn';
export const BACKBONES: readonly Backbone[] = ['unet', 'resnet50-fcn'];

/** CONTRACT.md: unet for ssmtl, resnet50-fcn otherwise. */
export function defaultBackbone(method: PretrainMethod): Backbone {
  return method === 'ssmtl' ? 'unet' : 'resnet50-fcn';
}

/** MoCo v2's settings (He et al. 2020, Chen et al. 2020), with the paper's queue of 1024. */
export interface MocoSettings {
  /** queue length K */
  queue: number;
  temperature: number;
  /** momentum of the key encoder */
  momentum: number;
}

export const PAPER_MOCO: MocoSettings = { queue: 1024, temperature: 0.2, momentum: 0.999 };

/** A pre-training run's settings, as the trainer and a GPU worker's task carry them (engine/train/ssmtl-trainer.ts). */
export interface SsmtlConfig {
  /** absent in runs made before the method choice existed: ssmtl */
  method?: PretrainMethod;
  /** absent: defaultBackbone(method) */
  backbone?: Backbone;
  /** SSMTL+: weight λ of the similarity loss (paper Eq. 3; default 1) */
  lambda?: number;
  /** MoCo v2 (default PAPER_MOCO) */
  moco?: MocoSettings;
  ts: number[];
  size: number;
  width: number;
  batch: number;
  lr: number;
  seed: number;
  epochs: number;
  /** how stored values become grey levels before normalization (absent in runs made before it existed: none) */
  intensity?: IntensityMapping;
  /** images per forward/backward pass; gradients of a batch are accumulated over
   * micro-batches (exact for the U-Net, which has no batch statistics; the ResNet50's
   * batch normalization takes each micro-batch's statistics). Bounds activation memory. */
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

/** Why an anchor was left out although its series is long enough: its targets are not t spacings away in the scan. */
export type IrregularityReason = 'gap' | 'duplicate' | 'uneven';

/** Anchors of one series left out because a target is not t slice spacings away in the scan. */
export interface SkippedAnchorsInfo {
  series: string;
  /** the median slice spacing, mm */
  spacing: number;
  /** anchors left out, by the reason found first between the anchor and its target */
  byReason: Record<IrregularityReason, number>;
  /** the irregularities that cost anchors, in words (at most 5) */
  where: string[];
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
  /** anchors left out for the scan's slice spacing (gaps, duplicates, uneven spacing), per series */
  skippedAnchors?: SkippedAnchorsInfo[];
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
      /** anchors left out for the scan's slice spacing, per series */
      skippedAnchors?: SkippedAnchorsInfo[];
      /** series without slice positions: slice indices stand in for distances */
      withoutPositions?: string[];
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
