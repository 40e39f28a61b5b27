import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '../../random.ts';

/**
 * MoCo's dictionary (He et al. 2020, Sec. 3.1): the keys of the last K images, a ring
 * buffer of rows [K, dim]. Each step's keys are written at the pointer in batch order,
 * overwriting the oldest and wrapping around the end; the pointer is part of a run's
 * checkpoint. It starts as random unit vectors (seeded), as MoCo's does.
 */
export class KeyQueue {
  readonly keys: tf.Variable;
  pointer = 0;

  constructor(
    readonly length: number,
    readonly dim: number,
    random: Random,
  ) {
    if (!Number.isInteger(length) || length < 1) throw new Error(`the MoCo queue needs a positive length, got ${length}`);
    const values = Float32Array.from({ length: length * dim }, () => random.normal());
    for (let r = 0; r < length; r++) {
      let norm = 0;
      for (let d = 0; d < dim; d++) norm += values[r * dim + d] ** 2;
      norm = Math.sqrt(norm) || 1;
      for (let d = 0; d < dim; d++) values[r * dim + d] /= norm;
    }
    this.keys = tf.variable(tf.tensor2d(values, [length, dim]), false);
  }

  /** Writes keys [n, dim] at the pointer (the oldest go first), wrapping around the end. */
  enqueue(batch: tf.Tensor2D): void {
    if (batch.shape[1] !== this.dim) throw new Error(`keys of ${batch.shape[1]} values for a queue of ${this.dim}`);
    const K = this.length;
    // More keys than the queue holds: only the newest K remain, as if written one by one.
    const n = Math.min(batch.shape[0], K);
    const skip = batch.shape[0] - n;
    const start = (this.pointer + skip) % K;
    tf.tidy(() => {
      const keys = skip > 0 ? tf.slice(batch, [skip, 0], [n, this.dim]) : batch;
      const first = Math.min(n, K - start);
      const parts: tf.Tensor2D[] = [];
      const rest = n - first;
      // rows [0, rest) take the wrapped-around tail; then old rows up to `start`; the head; old rows after it
      if (rest > 0) parts.push(tf.slice(keys, [first, 0], [rest, this.dim]));
      if (start > rest) parts.push(tf.slice(this.keys, [rest, 0], [start - rest, this.dim]) as tf.Tensor2D);
      parts.push(tf.slice(keys, [0, 0], [first, this.dim]));
      if (start + first < K) parts.push(tf.slice(this.keys, [start + first, 0], [K - start - first, this.dim]) as tf.Tensor2D);
      this.keys.assign(parts.length === 1 ? parts[0] : tf.concat(parts, 0));
    });
    this.pointer = (start + n) % K;
  }

  dispose(): void {
    this.keys.dispose();
  }
}
