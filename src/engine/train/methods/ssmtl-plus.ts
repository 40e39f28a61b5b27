import * as tf from '@tensorflow/tfjs-core';
import { backboneProblem } from '../../../shared/pretrain-methods.ts';
import { type Anchor, drawPartner } from '../../data/sampler.ts';
import { multiTaskMse, negativeCosine } from '../../losses.ts';
import { Mlp } from '../../networks/mlp.ts';
import { ParamSet } from '../../networks/params.ts';
import { ResNet50 } from '../../networks/resnet50.ts';
import { ResNet50Fcn } from '../../networks/resnet50-fcn.ts';
import { Random } from '../../random.ts';
import { GradientAccumulator, microBatches } from '../gradient-accumulator.ts';
import { imagesOf, type MethodContext, type MethodStep, type PretextMethod } from '../pretext-method.ts';
import { SsmtlMethod } from './ssmtl.ts';

/**
 * SSMTL+ (paper Sec. 3.3, Eq. 2–3): SSMTL's two slice-prediction tasks on the FCN, plus
 * the similarity task on its encoder q. For an anchor x_j, a partner x_k of the same scan
 * is drawn from k ∈ [j−2t, j−t−1] ∪ [j+t+1, j+2t]; with global-pooled encoder features,
 *
 *   loss_sim = −cos( stopgrad(q(x_k)), h(q(x_j)) ),   h: MLP 2048 → 512 → 2048
 *   loss     = loss_pretext + λ · loss_sim            (λ = 1)
 *
 * The stop-gradient is real: q(x_k) is computed before the gradient tape starts (in
 * training mode, like q(x_j); its batch statistics are recorded like any other pass), so
 * nothing flows back through it and no backward pass is spent on it. The predictor h is
 * trained with the network but is not part of the backbone a finished run keeps.
 */
export class SsmtlPlusMethod implements PretextMethod {
  readonly net: ResNet50Fcn;
  readonly tasks: string[];
  readonly predictorParams = new ParamSet();
  readonly predictor: Mlp;
  private readonly pretext: SsmtlMethod;
  readonly lambda: number;

  constructor(readonly context: MethodContext) {
    const { config } = context;
    this.pretext = new SsmtlMethod(context);
    if (!(this.pretext.net instanceof ResNet50Fcn)) {
      this.pretext.dispose();
      throw new Error(backboneProblem('ssmtl+', this.pretext.net.backbone) ?? 'SSMTL+ needs the ResNet50-FCN');
    }
    this.net = this.pretext.net;
    this.tasks = [...this.pretext.tasks, 'sim'];
    this.lambda = config.lambda ?? 1;
    const features = this.net.encoder.outChannels;
    this.predictor = new Mlp(
      this.predictorParams,
      'predictor.',
      [features, features / 4, features],
      Random.derive(config.seed, 'ssmtl+-predictor'),
    );
  }

  get trainable() {
    return [...this.net.params.entries, ...this.predictorParams.entries];
  }

  get state() {
    return this.net.params.buffers;
  }

  get kept() {
    return this.net.params.all;
  }

  total(taskLosses: number[]): number {
    const heads = taskLosses.slice(0, -1).reduce((a, b) => a + b, 0);
    return heads + this.lambda * taskLosses[taskLosses.length - 1];
  }

  /** Anchor images [m, s, s, 1] and slice-prediction targets [m, s, s, heads]. */
  assemble(anchors: Anchor[]): { x: Float32Array; y: Float32Array } {
    return this.pretext.assemble(anchors);
  }

  /** The partners of some anchors in an epoch. */
  partners(anchors: Anchor[], epoch: number): Anchor[] {
    const { config, plan } = this.context;
    const lengths = plan.lengths ?? {};
    return anchors.map((a) => ({ series: a.series, index: drawPartner(a, config.ts[0], lengths[a.series], config.seed, epoch) }));
  }

  /** q(x_k), pooled: [m, 32·width]. Called outside any gradient tape. */
  targetFeatures(xk: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => ResNet50.pool(this.net.encoder.forward(xk, 'train').c5));
  }

  /** The objective of Eq. 3 for anchors x (targets y) and partner features z = q(x_k): total and per task. */
  objective(x: tf.Tensor4D, y: tf.Tensor4D, z: tf.Tensor2D): { total: tf.Scalar; tasks: tf.Tensor1D } {
    const { features, c5 } = this.net.features(x, 'train');
    const { total, perHead } = multiTaskMse(this.net.applyHeads(features, x.shape[1]), y);
    const sim = negativeCosine(this.predictor.apply(ResNet50.pool(c5)), z);
    return {
      total: tf.add(total, tf.mul(sim, this.lambda)) as tf.Scalar,
      tasks: tf.concat([perHead, tf.reshape(sim, [1])]) as tf.Tensor1D,
    };
  }

  beginStep(items: Anchor[], epoch: number): MethodStep {
    const { size, microBatch } = this.context.config;
    const parts = microBatches(items, microBatch);
    const accumulator = new GradientAccumulator(this.tasks.length);
    const vars = this.trainable.map((e) => e.variable);
    return {
      parts: parts.length,
      runPart: async (k) => {
        const part = parts[k];
        const m = part.length;
        const { x, y } = this.assemble(part);
        const xk = imagesOf(this.context.slices, this.partners(part, epoch), size);
        const z = tf.tidy(() => this.targetFeatures(tf.tensor4d(xk, [m, size, size, 1])));
        try {
          await accumulator.add(vars, m / items.length, () =>
            this.objective(tf.tensor4d(x, [m, size, size, 1]), tf.tensor4d(y, [m, size, size, this.pretext.tasks.length]), z),
          );
        } finally {
          z.dispose();
        }
      },
      gradients: () => accumulator.take(),
      afterUpdate: () => this.net.commitStatistics(),
      abort: () => {
        accumulator.dispose();
        this.net.discardStatistics();
      },
    };
  }

  meta(): Record<string, number> {
    return {};
  }

  restoreMeta(): void {}

  dispose(): void {
    this.pretext.dispose();
    this.predictorParams.dispose();
  }
}
