import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../random.ts';
import type { NetworkMode } from './batch-norm.ts';
import type { DenseNetwork } from './dense-network.ts';
import { conv2dBiasRelu } from './layers.ts';
import { ParamSet, heNormal } from './params.ts';

/**
 * The standard U-Net (Ronneberger et al. 2015) with 'same' padding, as the SSMTL backbone
 * f_θ (paper Sec. 4.2: "we use a standard U-Net as the neural network backbone"). Four
 * poolings; level k has width·2^k channels (width 64 is the original network). Each level
 * is two 3×3 conv + ReLU; down is 2×2 max-pool; up is a 2×2 stride-2 transposed conv
 * that halves the channels, then concatenation with the skip connection.
 *
 * Following the paper, the last 1×1 conv of U-Net is replaced by the pretext heads: two
 * 1×1 convs (width → 1) per slice distance t, g− predicting x_{j−t} and g+ predicting
 * x_{j+t}. The heads are stored as separate weights and applied as one 1×1 conv with
 * 2·|T| output channels (the same arithmetic, one kernel launch).
 *
 * Layout: NHWC, float32; input [batch, size, size, 1]; output [batch, size, size, heads].
 */
export interface UNetConfig {
  /** base channels; 64 is the standard U-Net */
  width: number;
  /** number of 1-channel outputs (2·|T| for SSMTL) */
  heads: number;
  /** number of 2×2 poolings; 4 is the standard U-Net */
  depth?: number;
  inChannels?: number;
}

export const UNET_DEPTH = 4;

export class UNet implements DenseNetwork {
  readonly backbone = 'unet' as const;
  readonly params = new ParamSet();
  readonly depth: number;
  readonly headNames: string[];

  constructor(
    readonly config: UNetConfig,
    seed: number,
    headNames?: string[],
  ) {
    const { width, heads } = config;
    this.depth = config.depth ?? UNET_DEPTH;
    if (!Number.isInteger(width) || width < 1) throw new Error(`U-Net width must be a positive integer, got ${width}`);
    if (!Number.isInteger(heads) || heads < 1) throw new Error(`U-Net needs at least one head, got ${heads}`);
    this.headNames = headNames ?? Array.from({ length: heads }, (_, i) => `head${i}`);
    if (this.headNames.length !== heads) throw new Error(`${this.headNames.length} head names for ${heads} heads`);
    const random = Random.derive(seed, 'unet-init');
    const conv = (name: string, k: number, cin: number, cout: number) => {
      this.params.add(`${name}.w`, heNormal([k, k, cin, cout], k * k * cin, random));
      this.params.add(`${name}.b`, tf.zeros([cout]));
    };
    let cin = config.inChannels ?? 1;
    for (let level = 0; level <= this.depth; level++) {
      const c = width * 2 ** level;
      conv(`down${level}.conv1`, 3, cin, c);
      conv(`down${level}.conv2`, 3, c, c);
      cin = c;
    }
    for (let level = this.depth - 1; level >= 0; level--) {
      const c = width * 2 ** level;
      // conv2dTranspose filters are [kh, kw, out, in]; each output pixel sums `in` inputs.
      this.params.add(`up${level}.upconv.w`, heNormal([2, 2, c, 2 * c], 2 * c, random));
      this.params.add(`up${level}.upconv.b`, tf.zeros([c]));
      conv(`up${level}.conv1`, 3, 2 * c, c);
      conv(`up${level}.conv2`, 3, c, c);
    }
    for (const name of this.headNames) {
      this.params.add(`head.${name}.w`, heNormal([1, 1, width, 1], width, random));
      this.params.add(`head.${name}.b`, tf.zeros([1]));
    }
  }

  /** The spatial size must survive `depth` halvings. */
  static checkSize(size: number, depth = UNET_DEPTH): void {
    const unit = 2 ** depth;
    if (!Number.isInteger(size) || size < unit || size % unit !== 0) {
      throw new Error(`size must be a multiple of ${unit} (the U-Net pools ${depth} times), got ${size}`);
    }
  }

  /** f_θ: the backbone, [n, s, s, 1] → features [n, s, s, width]. */
  features(x: tf.Tensor4D): tf.Tensor4D {
    const p = (name: string) => this.params.get(name);
    const convRelu = (input: tf.Tensor4D, name: string) =>
      conv2dBiasRelu(input, p(`${name}.w`) as tf.Tensor4D, p(`${name}.b`) as tf.Tensor1D);
    const skips: tf.Tensor4D[] = [];
    let h = x;
    for (let level = 0; level <= this.depth; level++) {
      h = convRelu(convRelu(h, `down${level}.conv1`), `down${level}.conv2`);
      if (level < this.depth) {
        skips.push(h);
        h = tf.maxPool(h, 2, 2, 'valid');
      }
    }
    for (let level = this.depth - 1; level >= 0; level--) {
      const skip = skips[level];
      const w = p(`up${level}.upconv.w`) as tf.Tensor4D;
      const [n, rows, cols] = skip.shape;
      const up = tf.add(tf.conv2dTranspose(h, w, [n, rows, cols, w.shape[2]], 2, 'same'), p(`up${level}.upconv.b`)) as tf.Tensor4D;
      h = tf.concat([skip, up], 3);
      h = convRelu(convRelu(h, `up${level}.conv1`), `up${level}.conv2`);
    }
    return h;
  }

  /** The heads g (1×1 convs, no activation): [n, s, s, width] → [n, s, s, heads]. */
  applyHeads(features: tf.Tensor4D): tf.Tensor4D {
    const ws = this.headNames.map((h) => this.params.get(`head.${h}.w`));
    const bs = this.headNames.map((h) => this.params.get(`head.${h}.b`));
    const w = ws.length === 1 ? ws[0] : tf.concat(ws, 3);
    const b = bs.length === 1 ? bs[0] : tf.concat(bs, 0);
    return tf.fused.conv2d({ x: features, filter: w as tf.Tensor4D, strides: 1, pad: 'valid', bias: b });
  }

  /** The U-Net has no batch statistics: training and evaluation compute the same. */
  predict(x: tf.Tensor4D, _mode?: NetworkMode): tf.Tensor4D {
    return this.applyHeads(this.features(x));
  }

  commitStatistics(): void {}

  discardStatistics(): void {}

  dispose(): void {
    this.params.dispose();
  }
}
