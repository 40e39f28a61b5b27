import * as tf from '@tensorflow/tfjs-core';
import '../gradients.ts';
import type { UNet } from '../networks/unet.ts';
import { Random } from '../random.ts';
import { Adam } from '../train/adam.ts';
import type { JobControl } from '../train/control.ts';
import { NonFiniteLossError } from '../train/errors.ts';
import { softDice, softmaxCrossEntropy } from './segmentation-loss.ts';
import { DEFAULT_STOPPING_RULE, StoppingRule, type StoppingRuleConfig, type StoppingState } from './stopping-rule.ts';
import type { FinetuneEvent, FinetuneRunResult } from '../../shared/segmentation.ts';
import type { TensorRecord } from '../train/ssmtl-trainer.ts';

/**
 * Fine-tuning for segmentation on annotated slices only: every example is a whole
 * annotated slice (image preprocessed like pre-training, labels as class indices at the
 * same size), so pixels of unannotated slices never enter the loss (cross-entropy plus
 * soft Dice over the structures; with micro-batches the Dice is per micro-batch). Adam at the paper's
 * lr; data order from the seed; "until convergence" by the StoppingRule unless a fixed
 * number of epochs is asked for.
 */
export interface SegmentationExample {
  /** size × size, preprocessed (resized, instance-normalized) */
  image: Float32Array;
  /** size × size class indices */
  target: Uint8Array;
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
  /** parameters in network order, then Adam's m and v ("adam.m/<param>", "adam.v/<param>") */
  tensors: TensorRecord[];
}

/** Steps of an epoch over `examples` annotated slices (a batch never exceeds them). */
export function finetuneStepsPerEpoch(examples: number, batch: number): number {
  return Math.ceil(examples / Math.min(batch, examples));
}

export class FinetuneTrainer {
  readonly adam: Adam;
  readonly stepsPerEpoch: number;

  constructor(
    readonly net: UNet,
    readonly examples: SegmentationExample[],
    readonly config: FinetuneConfig,
  ) {
    if (examples.length === 0) throw new Error('fine-tuning needs at least one annotated slice');
    const pixels = config.size * config.size;
    for (const e of examples) {
      if (e.image.length !== pixels || e.target.length !== pixels) throw new Error(`examples must be ${config.size} × ${config.size}`);
    }
    this.adam = new Adam(net.params.variables, { lr: config.lr });
    this.stepsPerEpoch = finetuneStepsPerEpoch(examples.length, config.batch);
  }

  /** Gradients of the batch's mean loss, accumulated over micro-batches (the U-Net has no batch statistics, so this is exact). */
  private async gradients(batch: SegmentationExample[]): Promise<{ grads: tf.Tensor[]; loss: number }> {
    const { size, classes } = this.config;
    const pixels = size * size;
    const vars = this.net.params.variables;
    let grads: tf.Tensor[] | null = null;
    let loss = 0;
    const micro = Math.max(1, Math.min(this.config.microBatch, batch.length));
    for (let start = 0; start < batch.length; start += micro) {
      const part = batch.slice(start, start + micro);
      const weight = part.length / batch.length;
      const x = new Float32Array(part.length * pixels);
      const y = new Float32Array(part.length * pixels * classes);
      part.forEach((e, n) => {
        x.set(e.image, n * pixels);
        const base = n * pixels * classes;
        for (let p = 0; p < pixels; p++) y[base + p * classes + e.target[p]] = 1;
      });
      const result = tf.tidy(() => {
        const input = tf.tensor4d(x, [part.length, size, size, 1]);
        const target = tf.tensor4d(y, [part.length, size, size, classes]);
        const { value, grads: g } = tf.variableGrads(() => {
          const logits = this.net.predict(input);
          return tf.mul(tf.add(softmaxCrossEntropy(logits, target), softDice(logits, target)), weight) as tf.Scalar;
        }, vars);
        return { g: vars.map((v) => g[v.name]), value: tf.keep(value) };
      });
      // data(), not dataSync(): WebGPU cannot read synchronously outside a browser.
      loss += (await result.value.data())[0];
      result.value.dispose();
      if (grads === null) grads = result.g;
      else {
        const previous: tf.Tensor[] = grads;
        grads = previous.map((acc, i) => tf.add(acc, result.g[i]));
        tf.dispose([...previous, ...result.g]);
      }
    }
    return { grads: grads as tf.Tensor[], loss };
  }

  /** Where a run stands; a snapshot of it plus the weights continues the run exactly. */
  private progress: FinetuneProgress = {
    epoch: 0,
    step: 0,
    epochLossSum: 0,
    globalStep: 0,
    perEpoch: [],
    trainingMs: 0,
    rule: new StoppingRule().state,
  };

  async run(
    hooks: {
      control?: JobControl;
      onEvent?: (event: FinetuneEvent) => void;
      onCheckpoint?: (snapshot: FinetuneSnapshot) => Promise<void> | void;
      checkpointIntervalMs?: number;
    } = {},
  ): Promise<FinetuneRunResult> {
    const { control, onEvent } = hooks;
    const rule = new StoppingRule(this.config.stopping ?? DEFAULT_STOPPING_RULE);
    rule.state = { ...this.progress.rule };
    const batchSize = Math.min(this.config.batch, this.examples.length);
    const totalSteps = this.config.epochs === null ? null : this.config.epochs * this.stepsPerEpoch;
    const state = this.progress;
    const intervalMs = hooks.checkpointIntervalMs ?? 5 * 60 * 1000;
    let lastCheckpoint = performance.now();
    const checkpoint = async () => {
      if (!hooks.onCheckpoint) return;
      state.rule = { ...rule.state };
      await hooks.onCheckpoint(await this.snapshot());
      lastCheckpoint = performance.now();
    };
    const finish = (status: FinetuneRunResult['status'], stopReason: FinetuneRunResult['stopReason']): FinetuneRunResult => ({
      status,
      stopReason,
      epochs: state.perEpoch.length,
      steps: state.globalStep,
      perEpoch: [...state.perEpoch],
      seconds: state.trainingMs / 1000,
    });
    for (; this.config.epochs === null || state.epoch < this.config.epochs; state.epoch++, state.step = 0, state.epochLossSum = 0) {
      // The order depends only on (seed, epoch): a resumed run sees what the uninterrupted one saw.
      const order = Random.derive(this.config.seed, 'finetune-epoch', state.epoch).shuffle([...this.examples]);
      if (state.step === 0 && state.globalStep > 0 && performance.now() - lastCheckpoint >= intervalMs) await checkpoint();
      for (; state.step < this.stepsPerEpoch;) {
        if (control?.paused && !control.cancelled) await control.waitWhilePaused();
        if (control?.cancelled) {
          await checkpoint();
          return finish('cancelled', 'cancelled');
        }
        const batch = order.slice(state.step * batchSize, (state.step + 1) * batchSize);
        const t0 = performance.now();
        const { grads, loss } = await this.gradients(batch);
        try {
          if (!Number.isFinite(loss)) throw new NonFiniteLossError(state.epoch, state.step, { segmentation: loss });
          this.adam.apply(grads);
        } finally {
          tf.dispose(grads);
        }
        state.trainingMs += performance.now() - t0;
        state.globalStep++;
        state.step++;
        state.epochLossSum += loss * batch.length;
        const perStep = state.trainingMs / 1000 / state.globalStep;
        onEvent?.({
          type: 'progress',
          epoch: state.epoch,
          step: state.step,
          stepsPerEpoch: this.stepsPerEpoch,
          globalStep: state.globalStep,
          totalSteps,
          loss,
          etaSeconds: totalSteps === null ? null : (totalSteps - state.globalStep) * perStep,
        });
        // Let pause/cancel messages in between steps.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      const epochLoss = state.epochLossSum / this.examples.length;
      state.perEpoch.push(epochLoss);
      onEvent?.({ type: 'epoch', epoch: state.epoch, loss: epochLoss });
      if (this.config.epochs === null) {
        const reason = rule.update(epochLoss, state.globalStep);
        if (reason) return finish('done', reason);
      }
    }
    return finish('done', 'epochs');
  }

  async snapshot(): Promise<FinetuneSnapshot> {
    const tensors: TensorRecord[] = [];
    const params = this.net.params.entries;
    for (const { name, variable } of params)
      tensors.push({ name, shape: [...variable.shape], data: (await variable.data()) as Float32Array });
    for (let i = 0; i < params.length; i++) {
      tensors.push({
        name: `adam.m/${params[i].name}`,
        shape: [...this.adam.m[i].shape],
        data: (await this.adam.m[i].data()) as Float32Array,
      });
      tensors.push({
        name: `adam.v/${params[i].name}`,
        shape: [...this.adam.v[i].shape],
        data: (await this.adam.v[i].data()) as Float32Array,
      });
    }
    return {
      progress: { ...this.progress, perEpoch: [...this.progress.perEpoch], rule: { ...this.progress.rule } },
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
    tf.tidy(() =>
      this.net.params.entries.forEach(({ name, variable }, i) => {
        load(name, variable);
        load(`adam.m/${name}`, this.adam.m[i]);
        load(`adam.v/${name}`, this.adam.v[i]);
      }),
    );
    this.adam.step = snapshot.adamStep;
    this.progress = { ...snapshot.progress, perEpoch: [...snapshot.progress.perEpoch], rule: { ...snapshot.progress.rule } };
  }

  dispose(): void {
    this.adam.dispose();
  }
}
