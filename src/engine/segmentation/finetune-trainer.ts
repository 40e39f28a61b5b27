import * as tf from '@tensorflow/tfjs-core';
import '../gradients.ts';
import type { UNet } from '../networks/unet.ts';
import { Random } from '../random.ts';
import { Adam } from '../train/adam.ts';
import type { JobControl } from '../train/control.ts';
import { NonFiniteLossError } from '../train/errors.ts';
import { softDice, softmaxCrossEntropy } from './segmentation-loss.ts';
import { DEFAULT_STOPPING_RULE, StoppingRule, type StopReason, type StoppingRuleConfig } from './stopping-rule.ts';

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

export type FinetuneEvent =
  | { type: 'progress'; epoch: number; step: number; stepsPerEpoch: number; globalStep: number; totalSteps: number | null; loss: number; etaSeconds: number | null }
  | { type: 'epoch'; epoch: number; loss: number };

export interface FinetuneRunResult {
  status: 'done' | 'cancelled';
  stopReason: StopReason | 'epochs' | 'cancelled';
  epochs: number;
  steps: number;
  perEpoch: number[];
  seconds: number;
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
    this.stepsPerEpoch = Math.ceil(examples.length / Math.min(config.batch, examples.length));
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

  async run(hooks: { control?: JobControl; onEvent?: (event: FinetuneEvent) => void } = {}): Promise<FinetuneRunResult> {
    const { control, onEvent } = hooks;
    const rule = new StoppingRule(this.config.stopping ?? DEFAULT_STOPPING_RULE);
    const batchSize = Math.min(this.config.batch, this.examples.length);
    const totalSteps = this.config.epochs === null ? null : this.config.epochs * this.stepsPerEpoch;
    const perEpoch: number[] = [];
    let globalStep = 0;
    let trainingMs = 0;
    const finish = (status: FinetuneRunResult['status'], stopReason: FinetuneRunResult['stopReason']): FinetuneRunResult => ({
      status,
      stopReason,
      epochs: perEpoch.length,
      steps: globalStep,
      perEpoch,
      seconds: trainingMs / 1000,
    });
    for (let epoch = 0; this.config.epochs === null || epoch < this.config.epochs; epoch++) {
      const order = Random.derive(this.config.seed, 'finetune-epoch', epoch).shuffle([...this.examples]);
      let sum = 0;
      for (let step = 0; step < this.stepsPerEpoch; step++) {
        if (control?.paused && !control.cancelled) await control.waitWhilePaused();
        if (control?.cancelled) return finish('cancelled', 'cancelled');
        const batch = order.slice(step * batchSize, (step + 1) * batchSize);
        const t0 = performance.now();
        const { grads, loss } = await this.gradients(batch);
        try {
          if (!Number.isFinite(loss)) throw new NonFiniteLossError(epoch, step, { segmentation: loss });
          this.adam.apply(grads);
        } finally {
          tf.dispose(grads);
        }
        trainingMs += performance.now() - t0;
        globalStep++;
        sum += loss * batch.length;
        const perStep = trainingMs / 1000 / globalStep;
        onEvent?.({
          type: 'progress',
          epoch,
          step: step + 1,
          stepsPerEpoch: this.stepsPerEpoch,
          globalStep,
          totalSteps,
          loss,
          etaSeconds: totalSteps === null ? null : (totalSteps - globalStep) * perStep,
        });
        // Let pause/cancel messages in between steps.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      const epochLoss = sum / this.examples.length;
      perEpoch.push(epochLoss);
      onEvent?.({ type: 'epoch', epoch, loss: epochLoss });
      if (this.config.epochs === null) {
        const reason = rule.update(epochLoss, globalStep);
        if (reason) return finish('done', reason);
      }
    }
    return finish('done', 'epochs');
  }

  dispose(): void {
    this.adam.dispose();
  }
}
