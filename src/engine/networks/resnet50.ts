import * as tf from '@tensorflow/tfjs-core';
import '../gradients.ts';
import type { Random } from '../random.ts';
import { BatchNorm, type NetworkMode } from './batch-norm.ts';
import { heNormal, type ParamSet } from './params.ts';

/**
 * ResNet50 (He et al. 2016) without its final fully-connected layer: the encoder q of
 * SSMTL+ and of the MoCo v2 baseline (paper Sec. 4.2: "the ResNet50 architecture without
 * the final fully-connected layer"). torchvision's layout (v1.5: the stride of a
 * down-sampling bottleneck sits on its 3×3 conv), one input channel (grayscale slices).
 *
 *   stem    7×7/2 conv (width) · BN · ReLU · 3×3/2 max-pool            s/4
 *   layer1  3 bottlenecks, width → 4·width                             s/4
 *   layer2  4 bottlenecks, 2·width → 8·width, first one stride 2       s/8   (c3)
 *   layer3  6 bottlenecks, 4·width → 16·width, stride 2                s/16  (c4)
 *   layer4  3 bottlenecks, 8·width → 32·width, stride 2                s/32  (c5)
 *
 * width 64 is the standard network (2048 channels out). Convolutions have no bias (batch
 * normalization follows each); weights are He-normal over fan-out as torchvision's.
 * Padding is explicit and symmetric as in PyTorch. Layout NHWC; the input size must be a
 * multiple of 32.
 */
export const RESNET50_BLOCKS = [3, 4, 6, 3] as const;

export interface EncoderFeatures {
  /** layer2 output, s/8, 8·width channels */
  c3: tf.Tensor4D;
  /** layer3 output, s/16, 16·width channels */
  c4: tf.Tensor4D;
  /** layer4 output, s/32, 32·width channels */
  c5: tf.Tensor4D;
}

interface ConvBn {
  w: tf.Variable;
  bn: BatchNorm;
  stride: number;
  pad: number;
}

interface Bottleneck {
  conv1: ConvBn;
  conv2: ConvBn;
  conv3: ConvBn;
  downsample: ConvBn | null;
}

export class ResNet50 {
  readonly outChannels: number;
  readonly batchNorms: BatchNorm[] = [];
  private readonly stem: ConvBn;
  private readonly layers: Bottleneck[][] = [];

  constructor(
    params: ParamSet,
    readonly prefix: string,
    readonly width: number,
    random: Random,
  ) {
    if (!Number.isInteger(width) || width < 1) throw new Error(`ResNet50 width must be a positive integer, got ${width}`);
    const convBn = (name: string, k: number, cin: number, cout: number, stride: number): ConvBn => {
      const w = params.add(`${prefix}${name}.w`, heNormal([k, k, cin, cout], k * k * cout, random));
      const bn = new BatchNorm(params, `${prefix}${name}.bn`, cout);
      this.batchNorms.push(bn);
      return { w, bn, stride, pad: (k - 1) / 2 };
    };
    this.stem = convBn('stem.conv', 7, 1, width, 2);
    let cin = width;
    RESNET50_BLOCKS.forEach((blocks, level) => {
      const mid = width * 2 ** level;
      const out = 4 * mid;
      const layer: Bottleneck[] = [];
      for (let b = 0; b < blocks; b++) {
        const stride = b === 0 && level > 0 ? 2 : 1;
        const name = `layer${level + 1}.${b}`;
        layer.push({
          conv1: convBn(`${name}.conv1`, 1, cin, mid, 1),
          conv2: convBn(`${name}.conv2`, 3, mid, mid, stride),
          conv3: convBn(`${name}.conv3`, 1, mid, out, 1),
          downsample: b === 0 ? convBn(`${name}.downsample`, 1, cin, out, stride) : null,
        });
        cin = out;
      }
      this.layers.push(layer);
    });
    this.outChannels = cin;
  }

  static checkSize(size: number): void {
    if (!Number.isInteger(size) || size < 64 || size % 32 !== 0)
      throw new Error(
        `size must be a multiple of 32 and at least 64 for ResNet50 (it halves the slice 5 times, and batch normalization needs more than one pixel at the end), got ${size}`,
      );
  }

  forward(x: tf.Tensor4D, mode: NetworkMode): EncoderFeatures {
    const apply = (input: tf.Tensor4D, c: ConvBn, relu: boolean) =>
      c.bn.apply(tf.conv2d(input, c.w as tf.Tensor4D, c.stride, c.pad), mode, relu) as tf.Tensor4D;
    let h = apply(x, this.stem, true);
    h = tf.maxPool(h, 3, 2, 1);
    const outputs: tf.Tensor4D[] = [];
    for (const layer of this.layers) {
      for (const block of layer) {
        const shortcut = block.downsample ? apply(h, block.downsample, false) : h;
        const y = apply(apply(apply(h, block.conv1, true), block.conv2, true), block.conv3, false);
        h = tf.relu(tf.add(y, shortcut)) as tf.Tensor4D;
      }
      outputs.push(h);
    }
    return { c3: outputs[1], c4: outputs[2], c5: outputs[3] };
  }

  /** Global average pooling of c5: the feature vector q(x), [n, 32·width]. */
  static pool(c5: tf.Tensor4D): tf.Tensor2D {
    return tf.mean(c5, [1, 2]) as tf.Tensor2D;
  }
}
