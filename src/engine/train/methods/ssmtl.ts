import * as tf from '@tensorflow/tfjs-core';
import { defaultBackbone } from '../../../shared/job.ts';
import { type Anchor, headNames, targetIndices } from '../../data/sampler.ts';
import { createNetwork } from '../../networks/create-network.ts';
import type { DenseNetwork } from '../../networks/dense-network.ts';
import { multiTaskMse } from '../../losses.ts';
import type { ParallelGradients } from '../batch-gradients.ts';
import { GradientAccumulator, microBatches } from '../gradient-accumulator.ts';
import { imagesOf, type MethodContext, type MethodStep, type PretextMethod } from '../pretext-method.ts';

/**
 * SSMTL (paper Sec. 3.2, Eq. 1): from an anchor x_j the backbone and its 2·|T| heads
 * predict x_{j−t} and x_{j+t}; loss = Σ per-head MSE. Any backbone (the paper's is the
 * U-Net; its Table 4 also runs it on the ResNet50-FCN). On the CPU backends the U-Net's
 * micro-batches may go to gradient worker threads (`parallel`), a round of one micro-batch
 * per worker at a time.
 */
export class SsmtlMethod implements PretextMethod {
  readonly net: DenseNetwork;
  readonly tasks: string[];
  private weightsDirty = true;

  constructor(
    readonly context: MethodContext,
    private readonly parallel: ParallelGradients | null = null,
  ) {
    const { config } = context;
    this.tasks = headNames(config.ts);
    this.net = createNetwork(config.backbone ?? defaultBackbone(config.method ?? 'ssmtl'), config.width, this.tasks, config.seed);
    if (parallel && this.net.params.buffers.length > 0)
      throw new Error('gradient worker threads train only networks without batch statistics');
  }

  get trainable() {
    return this.net.params.entries;
  }

  get state() {
    return this.net.params.buffers;
  }

  get kept() {
    return this.net.params.all;
  }

  total(taskLosses: number[]): number {
    return taskLosses.reduce((a, b) => a + b, 0);
  }

  /** The input [m, s, s, 1] and targets [m, s, s, heads] of some anchors. */
  assemble(anchors: Anchor[]): { x: Float32Array; y: Float32Array } {
    const { size, ts } = this.context.config;
    const pixels = size * size;
    const h = this.tasks.length;
    const x = imagesOf(this.context.slices, anchors, size);
    const y = new Float32Array(anchors.length * pixels * h);
    anchors.forEach((anchor, n) => {
      targetIndices(anchor, ts).forEach((index, k) => {
        const target = this.context.slices.get(anchor.series, index);
        const base = n * pixels * h + k;
        for (let p = 0; p < pixels; p++) y[base + p * h] = target[p];
      });
    });
    return { x, y };
  }

  beginStep(items: Anchor[]): MethodStep {
    if (this.parallel) return this.parallelStep(items, this.parallel);
    const { size, microBatch } = this.context.config;
    const parts = microBatches(items, microBatch);
    const accumulator = new GradientAccumulator(this.tasks.length);
    const vars = this.net.params.variables;
    return {
      parts: parts.length,
      runPart: async (k) => {
        const { x, y } = this.assemble(parts[k]);
        const m = parts[k].length;
        await accumulator.add(vars, m / items.length, () => {
          const input = tf.tensor4d(x, [m, size, size, 1]);
          const target = tf.tensor4d(y, [m, size, size, this.tasks.length]);
          const { total, perHead } = multiTaskMse(this.net.predict(input, 'train'), target);
          return { total, tasks: perHead };
        });
      },
      gradients: () => accumulator.take(),
      afterUpdate: () => this.net.commitStatistics(),
      abort: () => {
        accumulator.dispose();
        this.net.discardStatistics();
      },
    };
  }

  /**
   * The batch split into parts of at most a micro-batch, handed to the workers a round at a
   * time: twice as many parts as workers when the batch allows parts of two images or
   * more (a part of one image costs about as much per-part overhead as it saves), else one
   * part per worker. Gradients are summed in part order: runs with the same thread count
   * are bitwise reproducible.
   */
  private parallelStep(items: Anchor[], parallel: ParallelGradients): MethodStep {
    const workers = parallel.workers;
    const even = items.length >= 4 * workers ? Math.floor(items.length / (2 * workers)) : Math.ceil(items.length / workers);
    const chunks = microBatches(items, Math.max(1, Math.min(this.context.config.microBatch, even)));
    const rounds = microBatches(chunks, workers);
    const accumulator = new GradientAccumulator(this.tasks.length);
    return {
      parts: rounds.length,
      runPart: async (r) => {
        if (this.weightsDirty) {
          await parallel.setWeights(await this.flatWeights());
          this.weightsDirty = false;
        }
        const parts = rounds[r].map((chunk) => ({ ...this.assemble(chunk), n: chunk.length, weight: chunk.length / items.length }));
        const { grads, perHead } = await parallel.compute(parts);
        const tensors: tf.Tensor[] = [];
        let offset = 0;
        for (const v of this.net.params.variables) {
          tensors.push(tf.tensor(grads.subarray(offset, offset + v.size), v.shape, 'float32'));
          offset += v.size;
        }
        accumulator.addComputed(tensors, perHead);
      },
      gradients: () => accumulator.take(),
      afterUpdate: () => {
        this.weightsDirty = true;
      },
      abort: () => accumulator.dispose(),
    };
  }

  /** The weights changed outside a step (a restored checkpoint): workers need them again. */
  invalidateReplicas(): void {
    this.weightsDirty = true;
  }

  private async flatWeights(): Promise<Float32Array> {
    const flat = new Float32Array(this.net.params.count);
    let offset = 0;
    for (const v of this.net.params.variables) {
      flat.set((await v.data()) as Float32Array, offset);
      offset += v.size;
    }
    return flat;
  }

  meta(): Record<string, number> {
    return {};
  }

  restoreMeta(): void {}

  dispose(): void {
    this.net.dispose();
  }
}
