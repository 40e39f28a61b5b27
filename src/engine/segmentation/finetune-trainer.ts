import * as tf from '@tensorflow/tfjs-core';
import '../gradients.ts';
import type { DenseNetwork } from '../networks/dense-network.ts';
import { Random } from '../random.ts';
import { Adam } from '../train/adam.ts';
import type { JobControl } from '../train/control.ts';
import { NonFiniteLossError } from '../train/errors.ts';
import { GradientAccumulator, microBatches } from '../train/gradient-accumulator.ts';
import { TrainingLoop, type TrainingStep } from '../train/training-loop.ts';
import { softDice, softmaxCrossEntropy } from './segmentation-loss.ts';
import type { StoppingRuleConfig, StoppingState } from './stopping-rule.ts';
import type { FinetuneEvent, FinetuneRunResult } from '../../shared/segmentation.ts';
import type { TensorRecord } from '../train/ssmtl-trainer.ts';

/**
 * Supervised training of a pre-trained (or fresh) backbone on a downstream task, with the
 * engine's one training loop (train/training-loop.ts): segmentation of annotated slices
 * (cross-entropy plus soft Dice over the structures; with micro-batches the Dice is per
 * micro-batch) or denoising (denoise.ts: L1). Every example is a whole slice preprocessed
 * like pre-training, so pixels of unannotated slices never enter the loss. Adam at the
 * paper's lr; data order from the seed; "until convergence" by the StoppingRule unless a
 * fixed number of epochs is asked for. Networks with batch statistics train in 'train' mode
 * and keep their running statistics, as pre-training does.
 */
export interface TrainingExample {
  /** size × size, preprocessed (resized, instance-normalized) */
  image: Float32Array;
}

export interface SegmentationExample extends TrainingExample {
  /** size × size class indices */
  target: Uint8Array;
}

/** What the network learns from an example: its target maps and the loss against them. */
export interface SupervisedObjective<E extends TrainingExample> {
  /** output channels (the network's heads) */
  channels: number;
  /** writes the example's target, size² × channels (channels last), at `offset` */
  writeTarget(example: E, out: Float32Array, offset: number): void;
  loss(prediction: tf.Tensor4D, target: tf.Tensor4D): tf.Scalar;
}

/** Segmentation: one-hot targets over the classes, cross-entropy plus soft Dice. */
export function segmentationObjective(classes: number): SupervisedObjective<SegmentationExample> {
  return {
    channels: classes,
    writeTarget: (e, out, offset) => {
      for (let p = 0; p < e.target.length; p++) out[offset + p * classes + e.target[p]] = 1;
    },
    loss: (logits, target) => tf.add(softmaxCrossEntropy(logits, target), softDice(logits, target)) as tf.Scalar,
  };
}

export interface FinetuneConfig {
  size: number;
  classes: number;
  batch: number;
  lr: number;
  seed: number;
  /** a fixed number of epochs, or null: until convergence */
  epochs: number | null;
  microBatch: number;
  stopping?: StoppingRuleConfig;
}

// Its events and result are part of the API contract (a GPU worker sends them too).
export type { FinetuneEvent, FinetuneRunResult };

export interface FinetuneProgress {
  /** the next step to run: epoch (0-based) and step within it */
  epoch: number;
  step: number;
  epochLossSum: number;
  globalStep: number;
  perEpoch: number[];
  trainingMs: number;
  rule: StoppingState;
}

export interface FinetuneSnapshot {
  progress: FinetuneProgress;
  adamStep: number;
  /** parameters in network order, Adam's m and v ("adam.m/<param>", "adam.v/<param>"), the network's batch statistics */
  tensors: TensorRecord[];
}

/** Steps of an epoch over `examples` annotated slices (a batch never exceeds them). */
export function finetuneStepsPerEpoch(examples: number, batch: number): number {
  return Math.ceil(examples / Math.min(batch, examples));
}

export interface FinetuneHooks {
  control?: JobControl;
  onEvent?: (event: FinetuneEvent) => void;
  onCheckpoint?: (snapshot: FinetuneSnapshot) => Promise<void> | void;
  checkpointIntervalMs?: number;
}

export class FinetuneTrainer<E extends TrainingExample = SegmentationExample> {
  readonly adam: Adam;
  readonly stepsPerEpoch: number;
  readonly objective: SupervisedObjective<E>;
  private readonly loop: TrainingLoop;

  constructor(
    readonly net: DenseNetwork,
    readonly examples: E[],
    readonly config: FinetuneConfig,
    objective?: SupervisedObjective<E>,
  ) {
    if (examples.length === 0) throw new Error('fine-tuning needs at least one annotated slice');
    const pixels = config.size * config.size;
    for (const e of examples) {
      const target = (e as unknown as { target?: ArrayLike<number> }).target;
      if (e.image.length !== pixels || (target && target.length % pixels !== 0))
        throw new Error(`examples must be ${config.size} × ${config.size}`);
    }
    this.objective = objective ?? (segmentationObjective(config.classes) as unknown as SupervisedObjective<E>);
    if (net.headNames.length !== this.objective.channels)
      throw new Error(`the network has ${net.headNames.length} outputs, the task needs ${this.objective.channels}`);
    this.adam = new Adam(net.params.variables, { lr: config.lr });
    this.stepsPerEpoch = finetuneStepsPerEpoch(examples.length, config.batch);
    this.loop = new TrainingLoop({
      tasks: ['loss'],
      stepsPerEpoch: this.stepsPerEpoch,
      epochs: config.epochs,
      stopping: config.stopping,
      checkpointEachEpoch: false,
      total: (losses) => losses[0],
      beginStep: (epoch, step) => this.beginStep(epoch, step),
    });
  }

  private order: { epoch: number; examples: E[] } | null = null;

  private beginStep(epoch: number, step: number): TrainingStep {
    // The order depends only on (seed, epoch): a resumed run sees what the uninterrupted one saw.
    if (this.order?.epoch !== epoch)
      this.order = { epoch, examples: Random.derive(this.config.seed, 'finetune-epoch', epoch).shuffle([...this.examples]) };
    const batchSize = Math.min(this.config.batch, this.examples.length);
    const batch = this.order.examples.slice(step * batchSize, (step + 1) * batchSize);
    const parts = microBatches(batch, this.config.microBatch);
    const accumulator = new GradientAccumulator(1);
    const { size } = this.config;
    const pixels = size * size;
    const channels = this.objective.channels;
    return {
      images: batch.length,
      parts: parts.length,
      runPart: async (k) => {
        const part = parts[k];
        const x = new Float32Array(part.length * pixels);
        const y = new Float32Array(part.length * pixels * channels);
        part.forEach((e, n) => {
          x.set(e.image, n * pixels);
          this.objective.writeTarget(e, y, n * pixels * channels);
        });
        await accumulator.add(this.net.params.variables, part.length / batch.length, () => {
          const loss = this.objective.loss(
            this.net.predict(tf.tensor4d(x, [part.length, size, size, 1]), 'train'),
            tf.tensor4d(y, [part.length, size, size, channels]),
          );
          return { total: loss, tasks: tf.reshape(loss, [1]) as tf.Tensor1D };
        });
      },
      finish: async () => {
        const { grads, taskLosses } = accumulator.take();
        try {
          if (!Number.isFinite(taskLosses[0])) throw new NonFiniteLossError(epoch, step, { segmentation: taskLosses[0] });
          this.adam.apply(grads);
        } finally {
          tf.dispose(grads);
        }
        this.net.commitStatistics();
        return taskLosses;
      },
      abort: () => {
        accumulator.dispose();
        this.net.discardStatistics();
      },
    };
  }

  async run(hooks: FinetuneHooks = {}): Promise<FinetuneRunResult> {
    const { onEvent } = hooks;
    const result = await this.loop.run({
      control: hooks.control,
      checkpointIntervalMs: hooks.checkpointIntervalMs,
      onProgress: (p) =>
        onEvent?.({
          type: 'progress',
          epoch: p.epoch,
          step: p.step,
          stepsPerEpoch: p.stepsPerEpoch,
          globalStep: p.globalStep,
          totalSteps: p.totalSteps,
          loss: p.loss,
          etaSeconds: p.etaSeconds,
        }),
      onEpoch: (epoch, loss) => onEvent?.({ type: 'epoch', epoch, loss }),
      onCheckpoint: async () => {
        if (hooks.onCheckpoint) await hooks.onCheckpoint(await this.snapshot());
      },
    });
    const p = this.loop.position;
    return {
      status: result.status === 'cancelled' ? 'cancelled' : 'done',
      stopReason: result.stopReason === 'stopped' ? 'cancelled' : result.stopReason,
      epochs: p.perEpoch.length,
      steps: p.globalStep,
      perEpoch: [...p.perEpoch],
      seconds: p.seconds,
    };
  }

  /** Where a run stands; this plus the weights continues the run exactly. */
  async snapshot(): Promise<FinetuneSnapshot> {
    const tensors: TensorRecord[] = [];
    const record = async (name: string, variable: tf.Variable) =>
      tensors.push({ name, shape: [...variable.shape], data: (await variable.data()) as Float32Array });
    const params = this.net.params.entries;
    for (const { name, variable } of params) await record(name, variable);
    for (let i = 0; i < params.length; i++) {
      await record(`adam.m/${params[i].name}`, this.adam.m[i]);
      await record(`adam.v/${params[i].name}`, this.adam.v[i]);
    }
    for (const { name, variable } of this.net.params.buffers) await record(name, variable);
    const p = this.loop.position;
    return {
      progress: {
        epoch: p.epoch,
        step: p.step,
        epochLossSum: p.epochLossSum,
        globalStep: p.globalStep,
        perEpoch: [...p.perEpoch],
        trainingMs: p.seconds * 1000,
        rule: { ...(p.rule ?? { reference: Infinity, referenceStep: 0 }) },
      },
      adamStep: this.adam.step,
      tensors,
    };
  }

  /** Continues from a snapshot of a run with the same network, data and settings. */
  restore(snapshot: FinetuneSnapshot): void {
    const byName = new Map(snapshot.tensors.map((t) => [t.name, t]));
    const load = (name: string, target: tf.Variable) => {
      const record = byName.get(name);
      if (!record || record.shape.join() !== target.shape.join())
        throw new Error(`checkpoint tensor ${name} is missing or has another shape`);
      target.assign(tf.tensor(record.data, record.shape, 'float32'));
    };
    tf.tidy(() => {
      this.net.params.entries.forEach(({ name, variable }, i) => {
        load(name, variable);
        load(`adam.m/${name}`, this.adam.m[i]);
        load(`adam.v/${name}`, this.adam.v[i]);
      });
      for (const { name, variable } of this.net.params.buffers) load(name, variable);
    });
    this.adam.step = snapshot.adamStep;
    const { progress } = snapshot;
    const done = progress.perEpoch.length;
    this.loop.position = {
      epoch: progress.epoch,
      step: progress.step,
      globalStep: progress.globalStep,
      perEpoch: [...progress.perEpoch],
      perEpochTasks: progress.perEpoch.slice(0, done).map((v) => [v]),
      epochLossSum: progress.epochLossSum,
      epochTaskSums: [progress.epochLossSum],
      // images of the epoch so far: whole batches before the next step
      epochImages: Math.min(progress.step * Math.min(this.config.batch, this.examples.length), this.examples.length),
      seconds: progress.trainingMs / 1000,
      imagesSeen: 0,
      rule: { ...progress.rule },
    };
  }

  dispose(): void {
    this.adam.dispose();
  }
}
