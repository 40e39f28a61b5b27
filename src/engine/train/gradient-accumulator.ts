import * as tf from '@tensorflow/tfjs-core';
import '../gradients.ts';

/**
 * A step's gradients, summed over its micro-batches. Each micro-batch's loss is weighted
 * by (its images) / (the batch's images), so the sum is the gradient of the batch's mean
 * loss; per-task losses are summed the same way (read back after each micro-batch: data(),
 * not dataSync(), as WebGPU outside a browser cannot read synchronously).
 */
export class GradientAccumulator {
  private grads: tf.Tensor[] | null = null;
  private readonly taskSums: number[];

  constructor(tasks: number) {
    this.taskSums = new Array<number>(tasks).fill(0);
  }

  /**
   * Gradients of `weight` × the loss `build` returns, with respect to `variables`, added to
   * the sum. `build` runs under the gradient tape: whatever it computes outside the path
   * to `total` costs no backward pass; tensors it needs from outside (a stop-gradient
   * target) must be computed before.
   */
  async add(variables: tf.Variable[], weight: number, build: () => { total: tf.Scalar; tasks: tf.Tensor1D }): Promise<void> {
    const result = tf.tidy(() => {
      let tasks: tf.Tensor1D | null = null;
      const { grads } = tf.variableGrads(() => {
        const loss = build();
        tasks = tf.keep(tf.mul(loss.tasks, weight)) as tf.Tensor1D;
        return tf.mul(loss.total, weight) as tf.Scalar;
      }, variables);
      return { grads: variables.map((v) => grads[v.name]), tasks: tasks as unknown as tf.Tensor1D };
    });
    const values = await result.tasks.data();
    result.tasks.dispose();
    this.addComputed(result.grads, Array.from(values));
  }

  /** Adds gradients computed elsewhere (a gradient worker); takes ownership of the tensors. */
  addComputed(grads: tf.Tensor[], weightedTaskLosses: ArrayLike<number>): void {
    for (let i = 0; i < this.taskSums.length; i++) this.taskSums[i] += weightedTaskLosses[i];
    if (this.grads === null) {
      this.grads = grads;
      return;
    }
    const previous = this.grads;
    this.grads = previous.map((acc, i) => tf.add(acc, grads[i]));
    tf.dispose([...previous, ...grads]);
  }

  /** The summed gradients (the caller owns them now) and per-task losses. */
  take(): { grads: tf.Tensor[]; taskLosses: number[] } {
    if (this.grads === null) throw new Error('no micro-batch was added to this step');
    const grads = this.grads;
    this.grads = null;
    return { grads, taskLosses: [...this.taskSums] };
  }

  dispose(): void {
    if (this.grads) tf.dispose(this.grads);
    this.grads = null;
  }
}

/** Splits a batch into micro-batches of at most `size` items, in order. */
export function microBatches<T>(items: T[], size: number): T[][] {
  const step = Math.max(1, Math.min(size, items.length));
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += step) out.push(items.slice(start, start + step));
  return out;
}
