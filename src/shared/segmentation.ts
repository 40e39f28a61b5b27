import type { Backbone } from './job.ts';

/** The shapes of CONTRACT.md's `annotations import`, `finetune`, `predict` and `evaluate` answers. */

export interface FinetuneSummary {
  model: string;
  /** the pre-trained model the backbone came from, or 'none' */
  init: string;
  backend: string;
  epochs: number;
  seconds: number;
  trainSlices: number;
  /** label values the model predicts (background 0 first) */
  classes: number[];
  /** additions to the contract's fields */
  steps: number;
  stopReason: 'converged' | 'fit' | 'max-steps' | 'epochs';
  size: number;
  width: number;
  loss: { first: number | null; last: number | null; perEpoch: number[] };
  series: { id: string; slices: number[] }[];
}

export interface PredictSummary {
  series: string;
  slices: number;
  /** the model's intensity mapping, in words (shared/intensity-mapping.ts describeIntensity; 'none: …' for models made before it) */
  intensity?: string;
  seconds: number;
  /** mL per label value (background left out) */
  volumesMl: Record<string, number>;
  out: string | null;
  /** additions: mean per-pixel entropy (nats) per slice, and unannotated slices by it, most uncertain first */
  model: string;
  uncertainty: number[];
  suggestedSlices: number[];
  /** whether the prediction was kept in the workspace for review (false: the workspace is read-only, see `readOnly`) */
  stored: boolean;
  /** why the workspace could not be written, when it could not */
  readOnly?: string;
}

export interface EvaluateSummary {
  series: string;
  slicesScored: number;
  /** the model's intensity mapping, in words (as PredictSummary's) */
  intensity?: string;
  iou: Record<string, number | null>;
  miou: number | null;
  dice: Record<string, number | null>;
  /** true when the series was used to fine-tune the model: its other slices are neighbours of the training slices */
  withinScan: boolean;
  /** additions */
  model: string;
  /** label values in the truth that the model does not predict (scored as background) */
  unknownTruthLabels: number[];
}

export type SegmentationJobEvent =
  | {
      type: 'started';
      model: string;
      backend: string;
      backendNotes: string[];
      trainSlices: number;
      classes: number[];
      init: string;
      epochs: number | null;
      stepsPerEpoch: number;
      microBatch: number;
    }
  | {
      type: 'progress';
      epoch: number;
      step: number;
      stepsPerEpoch: number;
      globalStep: number;
      totalSteps: number | null;
      loss: number;
      etaSeconds: number | null;
    }
  | { type: 'epoch'; epoch: number; loss: number }
  | { type: 'log'; message: string };

/** A fine-tuning trainer's own events (engine/segmentation/finetune-trainer.ts, in a process or a GPU worker). */
export type FinetuneEvent =
  | {
      type: 'progress';
      epoch: number;
      step: number;
      stepsPerEpoch: number;
      globalStep: number;
      totalSteps: number | null;
      loss: number;
      etaSeconds: number | null;
    }
  | { type: 'epoch'; epoch: number; loss: number };

/** How a fine-tuning session ended. */
export interface FinetuneRunResult {
  status: 'done' | 'cancelled';
  stopReason: 'converged' | 'fit' | 'max-steps' | 'epochs' | 'cancelled';
  epochs: number;
  steps: number;
  perEpoch: number[];
  seconds: number;
}

/** A fine-tuning's settings, the same wherever it runs (a job process, or a page's GPU worker). */
export interface FinetuneRunSettings {
  /** the network (absent in runs made before the ResNet50-FCN existed: the U-Net) */
  network?: Backbone;
  size: number;
  width: number;
  batch: number;
  lr: number;
  seed: number;
  /** null: until the stopping rule says it has converged */
  epochs: number | null;
}
