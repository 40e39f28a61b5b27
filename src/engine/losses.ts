import * as tf from '@tensorflow/tfjs-core';

/**
 * The SSMTL pretext loss (paper Eq. 1): the sum over heads of the mean squared error
 * between each head's prediction and its target slice ("we use a standard Euclidean
 * distance (i.e. mean squared error)"). Predictions and targets are [n, s, s, heads];
 * returns the total (a scalar) and the per-head MSE ([heads]).
 */
export function multiTaskMse(predictions: tf.Tensor4D, targets: tf.Tensor4D): { total: tf.Scalar; perHead: tf.Tensor1D } {
  if (predictions.shape.join() !== targets.shape.join()) {
    throw new Error(`multiTaskMse: predictions ${JSON.stringify(predictions.shape)} vs targets ${JSON.stringify(targets.shape)}`);
  }
  const perHead = tf.mean(tf.squaredDifference(predictions, targets), [0, 1, 2]) as tf.Tensor1D;
  return { total: tf.sum(perHead), perHead };
}

/**
 * The similarity loss of SSMTL+ (paper Eq. 2): −cos(z_k, p_j) averaged over the batch, for
 * predictions p = h(q(x_j)) [n, d] and targets z = q(x_k) [n, d]. The target takes no
 * gradient (the paper's stop-gradient; SimSiam, Chen & He 2021): callers compute it
 * outside the gradient tape, and this op returns zero for it in any case.
 * dL/dp = −(ẑ − p̂·(p̂·ẑ)) / (n·‖p‖).
 */
export function negativeCosine(predictions: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  if (predictions.shape.join() !== targets.shape.join())
    throw new Error(`negativeCosine: predictions ${JSON.stringify(predictions.shape)} vs targets ${JSON.stringify(targets.shape)}`);
  const n = predictions.shape[0];
  const op = tf.customGrad(((...args: unknown[]) => {
    const [p, z, save] = args as [tf.Tensor2D, tf.Tensor2D, (tensors: tf.Tensor[]) => void];
    const pNorm = tf.norm(p, 2, 1, true);
    const pHat = tf.div(p, tf.maximum(pNorm, 1e-12));
    const zHat = tf.div(z, tf.maximum(tf.norm(z, 2, 1, true), 1e-12));
    const cosine = tf.sum(tf.mul(pHat, zHat), 1, true);
    save([pHat, zHat, pNorm, cosine]);
    return {
      value: tf.neg(tf.mean(cosine)) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [ph, zh, norm, cos] = saved;
        const dp = tf.div(tf.neg(tf.sub(zh, tf.mul(ph, cos))), tf.mul(tf.maximum(norm, 1e-12), n));
        return [tf.mul(dp, dy), tf.zerosLike(zh)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(predictions, targets) as tf.Scalar;
}

/**
 * InfoNCE of MoCo (He et al. 2020, Eq. 1; MoCo v2: the same with an MLP head), averaged
 * over the batch: queries q [n, d] (normalized here), their positive keys k [n, d] and the
 * queue of negatives [K, d] (both normalized, taking no gradient), temperature τ:
 * −log( exp(q̂·k/τ) / (exp(q̂·k/τ) + Σ exp(q̂·queue_i/τ)) ).
 * dL/dq̂ = ((p₀ − 1)·k + Σ pᵢ·queue_i) / (n·τ), then through the normalization.
 */
export function infoNce(queries: tf.Tensor2D, keys: tf.Tensor2D, queue: tf.Tensor2D, temperature: number): tf.Scalar {
  if (queries.shape.join() !== keys.shape.join() || queue.shape[1] !== queries.shape[1])
    throw new Error(
      `infoNce: queries ${JSON.stringify(queries.shape)}, keys ${JSON.stringify(keys.shape)}, queue ${JSON.stringify(queue.shape)}`,
    );
  const n = queries.shape[0];
  const op = tf.customGrad(((...args: unknown[]) => {
    const [q, k, negatives, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, (tensors: tf.Tensor[]) => void];
    const qNorm = tf.norm(q, 2, 1, true);
    const qHat = tf.div(q, tf.maximum(qNorm, 1e-12));
    const positive = tf.sum(tf.mul(qHat, k), 1, true);
    const negative = tf.matMul(qHat, negatives, false, true);
    const logits = tf.div(tf.concat([positive, negative], 1), temperature);
    const logP = tf.logSoftmax(logits);
    const value = tf.neg(tf.mean(tf.slice(logP, [0, 0], [n, 1]))) as tf.Scalar;
    save([qHat, qNorm, tf.exp(logP), k, negatives]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [qh, norm, probabilities, kk, neg] = saved;
        const p0 = tf.slice(probabilities, [0, 0], [n, 1]);
        const pNeg = tf.slice(probabilities, [0, 1], [n, -1]);
        const dqHat = tf.div(tf.add(tf.mul(tf.sub(p0, 1), kk), tf.matMul(pNeg, neg)), n * temperature);
        const dq = tf.div(tf.sub(dqHat, tf.mul(qh, tf.sum(tf.mul(qh, dqHat), 1, true))), tf.maximum(norm, 1e-12));
        return [tf.mul(dq, dy), tf.zerosLike(kk), tf.zerosLike(neg)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(queries, keys, queue) as tf.Scalar;
}

/** Mean absolute error (the denoising task's L1 loss); gradient sign(p − y) / size. */
export function meanAbsoluteError(predictions: tf.Tensor, targets: tf.Tensor): tf.Scalar {
  if (predictions.shape.join() !== targets.shape.join())
    throw new Error(`meanAbsoluteError: predictions ${JSON.stringify(predictions.shape)} vs targets ${JSON.stringify(targets.shape)}`);
  const count = predictions.size;
  const op = tf.customGrad(((...args: unknown[]) => {
    const [p, y, save] = args as [tf.Tensor, tf.Tensor, (tensors: tf.Tensor[]) => void];
    const diff = tf.sub(p, y);
    save([diff]);
    return {
      value: tf.mean(tf.abs(diff)) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const g = tf.mul(tf.div(tf.sign(saved[0]), count), dy);
        return [g, tf.zerosLike(g)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(predictions, targets) as tf.Scalar;
}
