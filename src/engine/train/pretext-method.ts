import type * as tf from '@tensorflow/tfjs-core';
import type { SsmtlConfig } from '../../shared/job.ts';
import type { PreprocessedSlices } from '../data/slice-cache.ts';
import type { Anchor, AnchorPlan } from '../data/sampler.ts';
import type { NamedVariable } from '../networks/params.ts';

/**
 * A self-supervised pre-training method as the trainer (ssmtl-trainer.ts) runs it: its
 * tasks (one loss each, reported live), its variables, and its step. The trainer owns the
 * loop, Adam, checkpoints and data order; a method sees a batch of plan items (anchors, or
 * slices for MoCo) and turns it into micro-batches of work.
 */
export interface MethodStep {
  /** micro-batches (and any other unit of work that may be interrupted between) */
  readonly parts: number;
  runPart(k: number): Promise<void>;
  /** the summed gradients (order of `trainable`; the caller owns them) and per-task batch losses */
  gradients(): { grads: tf.Tensor[]; taskLosses: number[] };
  /** after the optimizer update: batch statistics, momentum encoders, queues */
  afterUpdate(): void;
  /** the step will not finish: forget everything it recorded */
  abort(): void;
}

export interface PretextMethod {
  /** one loss per task, in report order */
  readonly tasks: string[];
  /** what the optimizer trains, in checkpoint order */
  readonly trainable: NamedVariable[];
  /** other tensors a checkpoint holds (batch statistics, a momentum encoder, a queue) */
  readonly state: NamedVariable[];
  /** the weights a finished run keeps: the backbone, named as fine-tuning loads them */
  readonly kept: NamedVariable[];
  /** the loss of the paper's objective from the per-task losses */
  total(taskLosses: number[]): number;
  beginStep(items: Anchor[], epoch: number, step: number): MethodStep;
  /** small state besides tensors (a queue's position) */
  meta(): Record<string, number>;
  restoreMeta(meta: Record<string, number>): void;
  dispose(): void;
}

/** What a method is built from. */
export interface MethodContext {
  config: SsmtlConfig;
  slices: PreprocessedSlices;
  plan: AnchorPlan;
}

/** Slices of some items, one after another, [n · size²]. */
export function imagesOf(slices: PreprocessedSlices, items: { series: string; index: number }[], size: number): Float32Array {
  const pixels = size * size;
  const x = new Float32Array(items.length * pixels);
  items.forEach((item, n) => x.set(slices.get(item.series, item.index), n * pixels));
  return x;
}
