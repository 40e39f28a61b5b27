import * as tf from '@tensorflow/tfjs-core';
import '../gradients.ts';
import { Random } from '../random.ts';
import { BatchNorm, type NetworkMode } from './batch-norm.ts';
import type { DenseNetwork } from './dense-network.ts';
import { heNormal, ParamSet } from './params.ts';
import { ResNet50 } from './resnet50.ts';

/**
 * The FCN backbone of SSMTL+ (paper Sec. 3.3 and 4.2: "we choose FCN [Long et al. 2015] as
 * the neural network backbone. We use the ResNet50 as the encoder"): the encoder q
 * (resnet50.ts) and an FCN-8s decoder.
 *
 *   c5 (s/32) ─1×1→ 8w ─×2─┐
 *   c4 (s/16) ─1×1→ 8w ────+─×2─┐
 *   c3 (s/8)  ─1×1→ 8w ─────────+─ 3×3 conv · BN · ReLU → 4w features (s/8)
 *   heads: 1×1 conv (4w → 1 each), then bilinear ×8 back to the slice's size
 *
 * As in FCN-8s, the coarse maps are fused by summation after bilinear up-sampling, and the
 * last layer's output is up-sampled to full resolution; as in the paper's U-Net, the last
 * layer is the replaceable part (two 1×1 convs per slice distance for the pretext tasks,
 * one per class for segmentation, one for denoising). Up-sampling is bilinear with aligned
 * corners (its gradient kernel exists on every backend). Weights: "encoder.*" (q),
 * "decoder.*", "head.<name>.*".
 */
export interface ResNet50FcnConfig {
  /** ResNet50 base channels; 64 is the standard network (2048 encoder channels) */
  width: number;
  heads: number;
}

export class ResNet50Fcn implements DenseNetwork {
  readonly backbone = 'resnet50-fcn' as const;
  readonly params = new ParamSet();
  readonly encoder: ResNet50;
  readonly headNames: string[];
  private readonly fuseBn: BatchNorm;

  constructor(
    readonly config: ResNet50FcnConfig,
    seed: number,
    headNames?: string[],
  ) {
    const { width, heads } = config;
    if (!Number.isInteger(heads) || heads < 1) throw new Error(`ResNet50-FCN needs at least one head, got ${heads}`);
    this.headNames = headNames ?? Array.from({ length: heads }, (_, i) => `head${i}`);
    if (this.headNames.length !== heads) throw new Error(`${this.headNames.length} head names for ${heads} heads`);
    const random = Random.derive(seed, 'resnet50-fcn-init');
    this.encoder = new ResNet50(this.params, 'encoder.', width, random);
    const conv = (name: string, k: number, cin: number, cout: number, bias: boolean) => {
      this.params.add(`${name}.w`, heNormal([k, k, cin, cout], k * k * cin, random));
      if (bias) this.params.add(`${name}.b`, tf.zeros([cout]));
    };
    const fused = 8 * width;
    conv('decoder.lateral5', 1, 32 * width, fused, true);
    conv('decoder.lateral4', 1, 16 * width, fused, true);
    conv('decoder.lateral3', 1, 8 * width, fused, true);
    conv('decoder.fuse', 3, fused, this.featureChannels, false);
    this.fuseBn = new BatchNorm(this.params, 'decoder.fuse.bn', this.featureChannels);
    for (const name of this.headNames) conv(`head.${name}`, 1, this.featureChannels, 1, true);
  }

  /** Channels of the decoder's output features (what a head sees). */
  get featureChannels(): number {
    return 4 * this.config.width;
  }

  get batchNorms(): BatchNorm[] {
    return [...this.encoder.batchNorms, this.fuseBn];
  }

  static checkSize(size: number): void {
    ResNet50.checkSize(size);
  }

  /** Encoder and decoder: [n, s, s, 1] → decoder features [n, s/8, s/8, 4w] and the encoder's c5. */
  features(x: tf.Tensor4D, mode: NetworkMode): { features: tf.Tensor4D; c5: tf.Tensor4D } {
    const p = (name: string) => this.params.get(name) as tf.Tensor;
    const lateral = (input: tf.Tensor4D, name: string) =>
      tf.add(tf.conv2d(input, p(`${name}.w`) as tf.Tensor4D, 1, 'valid'), p(`${name}.b`)) as tf.Tensor4D;
    const up2 = (input: tf.Tensor4D, like: tf.Tensor4D) => tf.image.resizeBilinear(input, [like.shape[1], like.shape[2]], true);
    const { c3, c4, c5 } = this.encoder.forward(x, mode);
    const f4 = tf.add(up2(lateral(c5, 'decoder.lateral5'), c4), lateral(c4, 'decoder.lateral4')) as tf.Tensor4D;
    const f3 = tf.add(up2(f4, c3), lateral(c3, 'decoder.lateral3')) as tf.Tensor4D;
    const fused = this.fuseBn.apply(tf.conv2d(f3, p('decoder.fuse.w') as tf.Tensor4D, 1, 1), mode, true);
    return { features: fused, c5 };
  }

  /** The heads at the features' resolution, then bilinear up-sampling to [n, s, s, heads]. */
  applyHeads(features: tf.Tensor4D, size: number): tf.Tensor4D {
    const ws = this.headNames.map((h) => this.params.get(`head.${h}.w`));
    const bs = this.headNames.map((h) => this.params.get(`head.${h}.b`));
    const w = ws.length === 1 ? ws[0] : tf.concat(ws, 3);
    const b = bs.length === 1 ? bs[0] : tf.concat(bs, 0);
    const coarse = tf.add(tf.conv2d(features, w as tf.Tensor4D, 1, 'valid'), b) as tf.Tensor4D;
    return tf.image.resizeBilinear(coarse, [size, size], true);
  }

  predict(x: tf.Tensor4D, mode: NetworkMode): tf.Tensor4D {
    return this.applyHeads(this.features(x, mode).features, x.shape[1]);
  }

  commitStatistics(): void {
    for (const bn of this.batchNorms) bn.commit();
  }

  discardStatistics(): void {
    for (const bn of this.batchNorms) bn.discard();
  }

  dispose(): void {
    this.discardStatistics();
    this.params.dispose();
  }
}
