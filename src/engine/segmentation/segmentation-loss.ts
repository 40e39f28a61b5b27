import * as tf from '@tensorflow/tfjs-core';

/**
 * Pixel-wise softmax cross-entropy, averaged over pixels, for logits [n, s, s, C] and
 * one-hot targets of the same shape. Written as one differentiable op whose gradient is
 * the textbook (softmax − target) / pixels: the engine registers gradients only for the
 * kernels the U-Net needs, and this keeps exp/log/max off the tape altogether.
 */
export function softmaxCrossEntropy(logits: tf.Tensor4D, targets: tf.Tensor4D): tf.Scalar {
  if (logits.shape.join() !== targets.shape.join()) {
    throw new Error(`softmaxCrossEntropy: logits ${JSON.stringify(logits.shape)} vs targets ${JSON.stringify(targets.shape)}`);
  }
  const pixels = logits.shape[0] * logits.shape[1] * logits.shape[2];
  const op = tf.customGrad(((...args: unknown[]) => {
    const [x, y, save] = args as [tf.Tensor4D, tf.Tensor4D, (tensors: tf.Tensor[]) => void];
    const logProbabilities = tf.logSoftmax(x);
    const value = tf.div(tf.neg(tf.sum(tf.mul(y, logProbabilities))), pixels) as tf.Scalar;
    save([logProbabilities, y]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [logP, target] = saved;
        const grad = tf.mul(tf.div(tf.sub(tf.exp(logP), target), pixels), dy);
        return [grad, tf.zerosLike(target)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(logits, targets) as tf.Scalar;
}
