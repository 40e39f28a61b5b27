import * as tf from '@tensorflow/tfjs-core';
import '../gradients.ts';
import type { Random } from '../random.ts';
import { heNormal, type ParamSet } from './params.ts';

/**
 * A multi-layer perceptron on feature vectors [n, d]: fully-connected layers with ReLU
 * between them (none after the last). SSMTL+'s predictor h (2048 → 512 → 2048, paper
 * Sec. 4.2) and MoCo v2's projection head (2048 → 2048 → 128) are both this.
 */
export class Mlp {
  private readonly layers: { w: tf.Variable; b: tf.Variable }[] = [];

  constructor(
    params: ParamSet,
    readonly prefix: string,
    readonly sizes: number[],
    random: Random,
  ) {
    if (sizes.length < 2) throw new Error(`an MLP needs an input and an output size, got [${sizes.join(', ')}]`);
    for (let i = 0; i + 1 < sizes.length; i++) {
      this.layers.push({
        w: params.add(`${prefix}fc${i + 1}.w`, heNormal([sizes[i], sizes[i + 1]], sizes[i], random)),
        b: params.add(`${prefix}fc${i + 1}.b`, tf.zeros([sizes[i + 1]])),
      });
    }
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    let h = x;
    this.layers.forEach(({ w, b }, i) => {
      h = tf.add(tf.matMul(h, w as tf.Tensor2D), b) as tf.Tensor2D;
      if (i + 1 < this.layers.length) h = tf.relu(h);
    });
    return h;
  }
}
