import * as tf from '@tensorflow/tfjs-core';
import { PAPER_MOCO, type MocoSettings } from '../../../shared/job.ts';
import { backboneProblem } from '../../../shared/pretrain-methods.ts';
import { mocoView } from '../../data/augment.ts';
import type { Anchor } from '../../data/sampler.ts';
import { infoNce } from '../../losses.ts';
import { Mlp } from '../../networks/mlp.ts';
import { ParamSet, type NamedVariable } from '../../networks/params.ts';
import { ResNet50 } from '../../networks/resnet50.ts';
import { Random } from '../../random.ts';
import { GradientAccumulator, microBatches } from '../gradient-accumulator.ts';
import type { MethodContext, MethodStep, PretextMethod } from '../pretext-method.ts';
import { KeyQueue } from './key-queue.ts';

/**
 * The MoCo v2 baseline (He et al. 2020; Chen et al. 2020 "Improved baselines"), as the
 * paper runs it (Sec. 4.2): ResNet50 query and key encoders with MoCo v2's MLP head
 * (32w → 32w → 2w: 2048 → 2048 → 128 at width 64), a queue of K = 1024 keys, temperature
 * 0.2, key-encoder momentum 0.999, InfoNCE; the two views of a slice are random flips and
 * Gaussian blurs of it (data/augment.ts). Every slice of every series is an instance.
 *
 * A step: the keys of the whole batch first (no gradient; in micro-batches of a seeded
 * permutation of the batch, so a key is normalized with other images than its query —
 * MoCo's shuffling BN, which is a no-op when the batch is one micro-batch, as on the
 * paper's single GPU), then the queries' micro-batches against them and the queue as it
 * was at the step's start; after the update, the key encoder moves towards the query
 * encoder, θk ← m·θk + (1 − m)·θq (parameters only, as MoCo's code), and the batch's keys
 * are enqueued. This is MoCo's order: its key encoder is updated at the start of the next
 * iteration, before that iteration's keys. Only the query encoder is kept for fine-tuning.
 */
export class MocoV2Method implements PretextMethod {
  readonly tasks = ['infonce'];
  readonly params = new ParamSet();
  readonly keyParams = new ParamSet();
  readonly encoder: ResNet50;
  readonly head: Mlp;
  readonly keyEncoder: ResNet50;
  readonly keyHead: Mlp;
  readonly queue: KeyQueue;
  readonly settings: MocoSettings;
  readonly dim: number;

  constructor(readonly context: MethodContext) {
    const { config } = context;
    const backbone = config.backbone ?? 'resnet50-fcn';
    const problem = backboneProblem('mocov2', backbone);
    if (problem) throw new Error(problem);
    this.settings = config.moco ?? PAPER_MOCO;
    const { width, seed } = config;
    const features = 32 * width;
    this.dim = 2 * width;
    const random = Random.derive(seed, 'mocov2-init');
    this.encoder = new ResNet50(this.params, 'encoder.', width, random);
    this.head = new Mlp(this.params, 'projection.', [features, features, this.dim], random);
    // The key encoder starts as a copy of the query encoder (MoCo's code: param_k.copy_(param_q)).
    this.keyEncoder = new ResNet50(this.keyParams, 'key.encoder.', width, random);
    this.keyHead = new Mlp(this.keyParams, 'key.projection.', [features, features, this.dim], random);
    tf.tidy(() => this.keyParams.all.forEach((k, i) => k.variable.assign(this.params.all[i].variable)));
    this.queue = new KeyQueue(this.settings.queue, this.dim, Random.derive(seed, 'mocov2-queue'));
  }

  get trainable(): NamedVariable[] {
    return this.params.entries;
  }

  get state(): NamedVariable[] {
    return [...this.params.buffers, ...this.keyParams.all, { name: 'queue', variable: this.queue.keys }];
  }

  /** The query encoder, named like the ResNet50-FCN's encoder (its decoder is trained at fine-tuning). */
  get kept(): NamedVariable[] {
    return this.params.all.filter((e) => e.name.startsWith('encoder.'));
  }

  total(taskLosses: number[]): number {
    return taskLosses[0];
  }

  /** One view of a slice: seeded by (seed, epoch, step, position in the batch, which view). */
  view(item: Anchor, epoch: number, step: number, position: number, which: 'query' | 'key'): Float32Array {
    const { size, seed } = this.context.config;
    return mocoView(
      this.context.slices.get(item.series, item.index),
      size,
      Random.derive(seed, 'mocov2-view', epoch, step, position, which),
    );
  }

  beginStep(items: Anchor[], epoch: number, step: number): MethodStep {
    const { size, microBatch, seed } = this.context.config;
    const positions = items.map((_, i) => i);
    const queryGroups = microBatches(positions, microBatch);
    const keyGroups = microBatches(Random.derive(seed, 'mocov2-shuffle', epoch, step).shuffle([...positions]), microBatch);
    const keys = new Float32Array(items.length * this.dim);
    const accumulator = new GradientAccumulator(1);
    const vars = this.params.variables;
    const batchOf = (group: number[], which: 'query' | 'key') => {
      const x = new Float32Array(group.length * size * size);
      group.forEach((p, n) => x.set(this.view(items[p], epoch, step, p, which), n * size * size));
      return tf.tensor4d(x, [group.length, size, size, 1]);
    };
    return {
      parts: keyGroups.length + queryGroups.length,
      runPart: async (k) => {
        if (k < keyGroups.length) {
          const group = keyGroups[k];
          const normalized = tf.tidy(() => {
            const z = this.keyHead.apply(ResNet50.pool(this.keyEncoder.forward(batchOf(group, 'key'), 'train').c5));
            return tf.div(z, tf.maximum(tf.norm(z, 2, 1, true), 1e-12));
          });
          const values = (await normalized.data()) as Float32Array;
          normalized.dispose();
          group.forEach((p, n) => keys.set(values.subarray(n * this.dim, (n + 1) * this.dim), p * this.dim));
          return;
        }
        const group = queryGroups[k - keyGroups.length];
        const positives = tf.tensor2d(
          Float32Array.from(group.flatMap((p) => Array.from(keys.subarray(p * this.dim, (p + 1) * this.dim)))),
          [group.length, this.dim],
        );
        try {
          await accumulator.add(vars, group.length / items.length, () => {
            const q = this.head.apply(ResNet50.pool(this.encoder.forward(batchOf(group, 'query'), 'train').c5));
            const loss = infoNce(q, positives, this.queue.keys as tf.Tensor2D, this.settings.temperature);
            return { total: loss, tasks: tf.reshape(loss, [1]) as tf.Tensor1D };
          });
        } finally {
          positives.dispose();
        }
      },
      gradients: () => accumulator.take(),
      afterUpdate: () => {
        for (const bn of [...this.encoder.batchNorms, ...this.keyEncoder.batchNorms]) bn.commit();
        momentumUpdate(
          this.keyParams.entries.map((e) => e.variable),
          this.params.entries.map((e) => e.variable),
          this.settings.momentum,
        );
        tf.tidy(() => this.queue.enqueue(tf.tensor2d(keys, [items.length, this.dim])));
      },
      abort: () => {
        accumulator.dispose();
        for (const bn of [...this.encoder.batchNorms, ...this.keyEncoder.batchNorms]) bn.discard();
      },
    };
  }

  meta(): Record<string, number> {
    return { queuePointer: this.queue.pointer };
  }

  restoreMeta(meta: Record<string, number>): void {
    const pointer = meta.queuePointer;
    if (!Number.isInteger(pointer) || pointer < 0 || pointer >= this.queue.length)
      throw new Error(`the checkpoint's queue position ${String(pointer)} does not fit a queue of ${this.queue.length}`);
    this.queue.pointer = pointer;
  }

  dispose(): void {
    for (const bn of [...this.encoder.batchNorms, ...this.keyEncoder.batchNorms]) bn.discard();
    this.params.dispose();
    this.keyParams.dispose();
    this.queue.dispose();
  }
}

/** MoCo's momentum update, θk ← m·θk + (1 − m)·θq, parameter by parameter. */
export function momentumUpdate(keys: tf.Variable[], queries: tf.Variable[], momentum: number): void {
  if (keys.length !== queries.length)
    throw new Error(`momentum update: ${keys.length} key parameters for ${queries.length} query parameters`);
  tf.tidy(() => keys.forEach((k, i) => k.assign(tf.add(tf.mul(k, momentum), tf.mul(queries[i], 1 - momentum)))));
}
