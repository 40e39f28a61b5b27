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
