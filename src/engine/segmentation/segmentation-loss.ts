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

/**
 * Soft Dice loss over the foreground classes (1 − their mean Dice), summed over the whole
 * batch per class ("batch Dice"), for logits [n, s, s, C] and one-hot targets. With a few
 * annotated slices the small structures hold a tiny share of the pixels; cross-entropy
 * alone lets background win for a long time, Dice weighs every structure equally (the
 * usual combination in medical segmentation, e.g. nnU-Net's CE + Dice). Class 0 is
 * background and is left out. Gradient by hand, as for the cross-entropy.
 */
export function softDice(logits: tf.Tensor4D, targets: tf.Tensor4D, smooth = 1): tf.Scalar {
  if (logits.shape.join() !== targets.shape.join()) {
    throw new Error(`softDice: logits ${JSON.stringify(logits.shape)} vs targets ${JSON.stringify(targets.shape)}`);
  }
  const classes = logits.shape[3];
  const foreground = classes - 1;
  const op = tf.customGrad(((...args: unknown[]) => {
    const [x, y, save] = args as [tf.Tensor4D, tf.Tensor4D, (tensors: tf.Tensor[]) => void];
    const p = tf.softmax(x);
    const intersection = tf.sum(tf.mul(p, y), [0, 1, 2]);
    const total = tf.add(tf.add(tf.sum(p, [0, 1, 2]), tf.sum(y, [0, 1, 2])), smooth);
    const dice = tf.div(tf.add(tf.mul(intersection, 2), smooth), total);
    const mask = tf.tensor1d(Array.from({ length: classes }, (_, c) => (c === 0 ? 0 : 1)));
    const value = tf.sub(1, tf.div(tf.sum(tf.mul(dice, mask)), foreground)) as tf.Scalar;
    save([p, y, intersection, total, mask]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [probabilities, target, inter, sum, fg] = saved;
        // dD_c/dp = (2·y·S_c − (2·I_c + smooth)) / S_c²; dL/dp = −dD/dp / |F| on foreground classes.
        const dDice = tf.div(tf.sub(tf.mul(tf.mul(target, 2), sum), tf.add(tf.mul(inter, 2), smooth)), tf.square(sum));
        const g = tf.mul(tf.neg(tf.div(dDice, foreground)), fg);
        // Through the softmax: dL/dz = p ⊙ (g − Σ_k p_k g_k).
        const dz = tf.mul(probabilities, tf.sub(g, tf.sum(tf.mul(probabilities, g), 3, true)));
        return [tf.mul(dz, dy), tf.zerosLike(target)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(logits, targets) as tf.Scalar;
}
