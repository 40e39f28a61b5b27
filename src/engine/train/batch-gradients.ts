import * as tf from '@tensorflow/tfjs-core';
import '../gradients.ts';
import { multiTaskMse } from '../losses.ts';
import type { UNet } from '../networks/unet.ts';

/**
 * Gradients of the batch-weighted SSMTL loss (Eq. 1) over some images, accumulated over
 * micro-batches of at most `microBatch` images: `weight` is (images here) / (images in the
 * whole batch), so the gradients of all parts of a batch sum to the batch's gradient.
 * Shared by the trainer and by data-parallel gradient workers.
 */
export function batchGradients(
  net: UNet,
  x: Float32Array,
  y: Float32Array,
  n: number,
  size: number,
  weight: number,
  microBatch: number,
): { grads: tf.Tensor[]; perHead: tf.Tensor1D } {
  const heads = net.headNames.length;
  const pixels = size * size;
  const vars = net.params.variables;
  let grads: tf.Tensor[] | null = null;
  let perHead: tf.Tensor1D | null = null;
  const micro = Math.max(1, Math.min(microBatch, n));
  for (let start = 0; start < n; start += micro) {
    const m = Math.min(micro, n - start);
    const w = (weight * m) / n;
    const result = tf.tidy(() => {
      const input = tf.tensor4d(x.subarray(start * pixels, (start + m) * pixels), [m, size, size, 1]);
      const target = tf.tensor4d(y.subarray(start * pixels * heads, (start + m) * pixels * heads), [m, size, size, heads]);
      let kept: tf.Tensor1D | null = null;
      const { grads: g } = tf.variableGrads(() => {
        const loss = multiTaskMse(net.predict(input), target);
        kept = tf.keep(tf.mul(loss.perHead, w)) as tf.Tensor1D;
        return tf.mul(loss.total, w) as tf.Scalar;
      }, vars);
      return { g: vars.map((v) => g[v.name]), perHead: kept as unknown as tf.Tensor1D };
    });
    if (grads === null) {
      grads = result.g;
      perHead = result.perHead;
    } else {
      const previous: tf.Tensor[] = grads;
      const p = perHead as tf.Tensor1D;
      grads = previous.map((acc, i) => tf.add(acc, result.g[i]));
      perHead = tf.add(p, result.perHead) as tf.Tensor1D;
      tf.dispose([...previous, ...result.g, p, result.perHead]);
    }
  }
  return { grads: grads as tf.Tensor[], perHead: perHead as tf.Tensor1D };
}

/**
 * Data-parallel gradients (e.g. worker threads, one wasm instance each): every worker
 * holds a replica of the network, gets the current weights, and returns the gradients of
 * its share of the batch; shares are summed in a fixed order, so runs stay deterministic.
 */
export interface ParallelGradients {
  readonly workers: number;
  setWeights(flat: Float32Array): Promise<void>;
  /** flat gradients (parameter order) and per-head losses, summed over the parts */
  compute(
    parts: { x: Float32Array; y: Float32Array; n: number; weight: number }[],
  ): Promise<{ grads: Float32Array; perHead: Float64Array }>;
  dispose(): Promise<void>;
}
