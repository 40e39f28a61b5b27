import type * as tf from '@tensorflow/tfjs-core';
import { BACKBONES, type Backbone } from '../../shared/job.ts';
import type { NetworkMode } from './batch-norm.ts';
import type { ParamSet } from './params.ts';

/**
 * A network for dense prediction — slice in, one map per head out, at the slice's size —
 * whatever its architecture: the U-Net of SSMTL (unet.ts) or the ResNet50-FCN of SSMTL+
 * (resnet50-fcn.ts). Pre-training, fine-tuning, prediction and denoising see only this;
 * the last layer (`head.<name>.*`) is what each task replaces.
 */
export type BackboneName = Backbone;

export interface DenseNetwork {
  readonly backbone: BackboneName;
  readonly params: ParamSet;
  readonly headNames: string[];
  /** [n, s, s, 1] → [n, s, s, heads]; 'train' normalizes by this batch and records its statistics */
  predict(x: tf.Tensor4D, mode: NetworkMode): tf.Tensor4D;
  /** applies the batch statistics recorded in 'train' mode since the last call (with the optimizer step) */
  commitStatistics(): void;
  /** drops them (an abandoned step) */
  discardStatistics(): void;
  dispose(): void;
}

export function isBackboneName(value: string): value is BackboneName {
  return (BACKBONES as readonly string[]).includes(value);
}
