import * as tf from '@tensorflow/tfjs-core';
import '../gradients.ts';
import type { ParamSet } from './params.ts';

/**
 * Batch normalization (Ioffe & Szegedy 2015) as ResNet uses it, with PyTorch's defaults
 * (momentum 0.1, eps 1e-5, running variance unbiased).
 *
 * - 'train': normalizes by the statistics of the images in this forward pass and records
 *   them; 'eval': by the running statistics.
 * - Micro-batching: a batch passes through the network in micro-batches, so training
 *   statistics are those of each micro-batch ("ghost" batch normalization, Hoffer et al.
 *   2017), exactly as gradient accumulation does it in PyTorch. What is exact: the
 *   gradient of the batch is the sum of the gradients of its micro-batches, each
 *   normalized by its own statistics, and the running statistics take one momentum
 *   update per micro-batch, in order. Those updates are applied when the optimizer step
 *   is (commit), not during the forward pass, so a step interrupted between micro-batches
 *   (pause, cancel) leaves no trace (discard). A run's micro-batch size is part of its
 *   checkpoint, so a resumed run normalizes over the same groups of images.
 * - The backward pass is one hand-written op (the textbook derivative, with an optional
 *   fused ReLU): dx = γ/σ · (g − mean(g) − x̂ · mean(g · x̂)), dγ = Σ g · x̂, dβ = Σ g.
 */
export type NetworkMode = 'train' | 'eval';

export const BN_MOMENTUM = 0.1;
export const BN_EPS = 1e-5;

interface PendingStatistics {
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
  /** values per channel the statistics were taken over */
  count: number;
}

export class BatchNorm {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  private pending: PendingStatistics[] = [];

  constructor(
    params: ParamSet,
    readonly name: string,
    readonly channels: number,
  ) {
    this.gamma = params.add(`${name}.gamma`, tf.ones([channels]));
    this.beta = params.add(`${name}.beta`, tf.zeros([channels]));
    this.runningMean = params.addBuffer(`${name}.runningMean`, tf.zeros([channels]));
    this.runningVar = params.addBuffer(`${name}.runningVar`, tf.ones([channels]));
  }

  /** x: [..., channels] (NHWC maps or [n, channels] vectors). */
  apply<T extends tf.Tensor>(x: T, mode: NetworkMode, relu = false): T {
    if (x.shape.at(-1) !== this.channels)
      throw new Error(`${this.name}: input ${JSON.stringify(x.shape)} has not ${this.channels} channels`);
    if (mode === 'eval') {
      const y = tf.batchNorm(x, this.runningMean, this.runningVar, this.beta, this.gamma, BN_EPS);
      return (relu ? tf.relu(y) : y) as T;
    }
    const count = x.size / this.channels;
    if (count < 2) throw new Error(`${this.name}: batch normalization in training needs more than one value per channel, got ${x.shape}`);
    const { y, mean, variance } = batchNormTrain(x, this.gamma as tf.Tensor1D, this.beta as tf.Tensor1D, relu);
    this.pending.push({ mean, variance, count });
    return y as T;
  }

  /** Applies the recorded statistics to the running ones (one momentum update each, in order). */
  commit(): void {
    const pending = this.pending;
    this.pending = [];
    tf.tidy(() => {
      for (const { mean, variance, count } of pending) {
        this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - BN_MOMENTUM), tf.mul(mean, BN_MOMENTUM)));
        const unbiased = tf.mul(variance, count / (count - 1));
        this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - BN_MOMENTUM), tf.mul(unbiased, BN_MOMENTUM)));
      }
    });
    for (const p of pending) tf.dispose([p.mean, p.variance]);
  }

  /** Forgets the recorded statistics (an abandoned step). */
  discard(): void {
    for (const p of this.pending) tf.dispose([p.mean, p.variance]);
    this.pending = [];
  }
}

/**
 * Training-mode batch normalization (optionally followed by ReLU) as one differentiable
 * op. Returns the output and the batch mean and biased variance per channel (kept: the
 * caller owns them).
 */
export function batchNormTrain(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  relu: boolean,
): { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const count = x.size / x.shape[x.shape.length - 1];
  let mean: tf.Tensor1D | null = null;
  let variance: tf.Tensor1D | null = null;
  const op = tf.customGrad(((...args: unknown[]) => {
    const [input, g, b, save] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, (tensors: tf.Tensor[]) => void];
    const m = tf.mean(input, axes);
    const centered = tf.sub(input, m);
    const v = tf.mean(tf.square(centered), axes);
    const invStd = tf.rsqrt(tf.add(v, BN_EPS));
    const xhat = tf.mul(centered, invStd);
    const pre = tf.add(tf.mul(xhat, g), b);
    const y = relu ? tf.relu(pre) : pre;
    mean = tf.keep(m) as tf.Tensor1D;
    variance = tf.keep(v) as tf.Tensor1D;
    // The output only for the ReLU's mask (it is the next layer's input, kept anyway).
    save(relu ? [xhat, invStd, g, y] : [xhat, invStd, g]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, inv, gam, out] = saved;
        const grad = relu ? tf.mul(dy, tf.step(out)) : dy;
        const dBeta = tf.sum(grad, axes);
        const dGamma = tf.sum(tf.mul(grad, xh), axes);
        // dx = γ·σ⁻¹ · (g − Σg/N − x̂ · Σ(g·x̂)/N)
        const inner = tf.sub(tf.sub(grad, tf.div(dBeta, count)), tf.mul(xh, tf.div(dGamma, count)));
        const dx = tf.mul(inner, tf.mul(gam, inv));
        return [dx, dGamma, dBeta];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const y = op(x, gamma, beta) as tf.Tensor;
  return { y, mean: mean as unknown as tf.Tensor1D, variance: variance as unknown as tf.Tensor1D };
}
