import * as tf from '@tensorflow/tfjs-core';
import '../gradients.ts';
import type { JobEvent, PretrainRunResult, SsmtlConfig } from '../../shared/job.ts';
import { PreprocessedSlices } from '../data/slice-cache.ts';
import type { SliceSource } from '../data/slice-source.ts';
import { type Anchor, type AnchorPlan, epochOrder, headNames, planAnchors, stepsPerEpoch, targetIndices } from '../data/sampler.ts';
import { networkWeights } from '../networks/network-weights.ts';
import { UNet } from '../networks/unet.ts';
import { Adam } from './adam.ts';
import { batchGradients, type ParallelGradients } from './batch-gradients.ts';
import type { JobControl } from './control.ts';
import { NoTrainingDataError, NonFiniteLossError } from './errors.ts';

// The run's settings are part of the API contract (shared/job.ts): GPU workers get them too.
export type { SsmtlConfig };

export interface TensorRecord {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** Everything needed to continue a run: written by the node layer as a checkpoint. */
export interface TrainerSnapshot {
  version: 1;
  config: SsmtlConfig;
  /** the next step to run: epoch (0-based) and step within it */
  epoch: number;
  step: number;
  globalStep: number;
  perEpoch: number[];
  perEpochHeads: number[][];
  /** sums over the steps done so far in the current epoch */
  epochLossSum: number;
  epochHeadSums: number[];
  epochImages: number;
  adamStep: number;
  /** seconds spent training in earlier sessions of this run */
  elapsedSeconds: number;
  imagesSeen: number;
  /** parameters in UNet order, then Adam's m and v (named "adam.m/<param>", "adam.v/<param>") */
  tensors: TensorRecord[];
}

export interface RunHooks {
  control?: JobControl;
  onEvent?: (event: JobEvent) => void;
  /** persist a snapshot; awaited before training continues */
  onCheckpoint?: (snapshot: TrainerSnapshot, reason: 'epoch' | 'interval' | 'pause' | 'cancel') => Promise<void>;
  /** a checkpoint at least this often (besides every epoch); default 5 minutes */
  checkpointIntervalMs?: number;
  /** stop after this many steps in this session (tests, bench) */
  maxSteps?: number;
}

export type RunResult = PretrainRunResult;

/**
 * The anchors a run trains on: series filtered by `seriesIds` (all when empty), anchors
 * where every j±t exists. Throws NoTrainingDataError, saying why, when there are none.
 * The engine host plans a browser GPU worker's run with this too, so both agree.
 */
export function planTraining(
  source: Pick<SliceSource, 'listSeries'>,
  config: Pick<SsmtlConfig, 'size' | 'ts'>,
  seriesIds: string[] = [],
): AnchorPlan {
  UNet.checkSize(config.size);
  let series = source.listSeries();
  if (seriesIds.length > 0) {
    const wanted = new Set(seriesIds);
    series = series.filter((s) => wanted.has(s.id));
  }
  const plan = planAnchors(series, config.ts);
  if (plan.anchors.length === 0) {
    const why =
      series.length === 0
        ? 'the workspace has no series to pre-train on (import some first)'
        : `no series has enough slices: ${plan.skipped.map((s) => `${s.series}: ${s.reason}`).join('; ')}`;
    throw new NoTrainingDataError(why);
  }
  return plan;
}

/**
 * SSMTL pre-training (paper Sec. 3.2): a U-Net backbone with 2·|T| heads learns to predict
 * x_{j−t} and x_{j+t} from the anchor x_j, minimizing the summed MSE of Eq. 1 with Adam.
 * Runs on whichever tfjs backend is active; everything that varies between runs (data
 * order, initial weights) comes from the seed, so a run resumed from a checkpoint
 * continues exactly as the uninterrupted run would have.
 */
export class SsmtlTrainer {
  readonly net: UNet;
  readonly adam: Adam;
  readonly plan: AnchorPlan;
  readonly heads: string[];
  readonly stepsPerEpoch: number;
  private readonly slices: PreprocessedSlices;
  private epoch = 0;
  private step = 0;
  private globalStep = 0;
  private perEpoch: number[] = [];
  private perEpochHeads: number[][] = [];
  private epochLossSum = 0;
  private epochHeadSums: number[];
  private epochImages = 0;
  private elapsedBefore = 0;
  private imagesSeen = 0;
  resumedFrom: { epoch: number; step: number } | null = null;
  private parallel: ParallelGradients | null = null;
  private weightsDirty = true;

  constructor(
    readonly source: SliceSource,
    readonly config: SsmtlConfig,
    options: { cacheBytes?: number; seriesIds?: string[]; parallel?: ParallelGradients } = {},
  ) {
    this.parallel = options.parallel ?? null;
    this.plan = planTraining(source, config, options.seriesIds);
    this.heads = headNames(config.ts);
    this.epochHeadSums = this.heads.map(() => 0);
    this.stepsPerEpoch = stepsPerEpoch(this.plan.anchors.length, config.batch);
    this.slices = new PreprocessedSlices(source, config.size, options.cacheBytes);
    this.net = new UNet({ width: config.width, heads: this.heads.length }, config.seed, this.heads);
    this.adam = new Adam(this.net.params.variables, { lr: config.lr });
  }

  get position(): { epoch: number; step: number; globalStep: number } {
    return { epoch: this.epoch, step: this.step, globalStep: this.globalStep };
  }

  /** Builds the input [m, s, s, 1] and targets [m, s, s, heads] of some anchors. */
  assemble(anchors: Anchor[]): { x: Float32Array; y: Float32Array } {
    const s = this.config.size;
    const pixels = s * s;
    const h = this.heads.length;
    const x = new Float32Array(anchors.length * pixels);
    const y = new Float32Array(anchors.length * pixels * h);
    anchors.forEach((anchor, n) => {
      x.set(this.slices.get(anchor.series, anchor.index), n * pixels);
      targetIndices(anchor, this.config.ts).forEach((index, k) => {
        const target = this.slices.get(anchor.series, index);
        const base = n * pixels * h + k;
        for (let p = 0; p < pixels; p++) y[base + p * h] = target[p];
      });
    });
    return { x, y };
  }

  /**
   * One optimization step on a batch: forward, backward (accumulated over micro-batches),
   * then Adam — only when the loss is finite, so a NaN never reaches the weights.
   */
  async trainStep(anchors: Anchor[]): Promise<{ loss: number; headLosses: number[] }> {
    if (this.parallel) return this.trainStepParallel(anchors, this.parallel);
    const { x, y } = this.assemble(anchors);
    const { grads, perHead } = batchGradients(this.net, x, y, anchors.length, this.config.size, 1, this.config.microBatch);
    try {
      const headLosses = Array.from(await perHead.data());
      this.checkFinite(headLosses);
      this.adam.apply(grads);
      return { loss: headLosses.reduce((a, b) => a + b, 0), headLosses };
    } finally {
      tf.dispose([...grads, perHead]);
    }
  }

  /** The same step with the batch split across gradient workers; Adam runs here. */
  private async trainStepParallel(anchors: Anchor[], parallel: ParallelGradients): Promise<{ loss: number; headLosses: number[] }> {
    if (this.weightsDirty) {
      await parallel.setWeights(await this.flatWeights());
      this.weightsDirty = false;
    }
    // Parts (each at most a micro-batch) are handed out as workers come free, so a worker
    // slowed by other work on its core does not hold up the step: twice as many parts as
    // workers when the batch allows parts of two images or more (a part of one image
    // costs about as much per-part overhead as it saves), else one part per worker.
    const parts: { x: Float32Array; y: Float32Array; n: number; weight: number }[] = [];
    const workers = parallel.workers;
    const even = anchors.length >= 4 * workers ? Math.floor(anchors.length / (2 * workers)) : Math.ceil(anchors.length / workers);
    const size = Math.max(1, Math.min(this.config.microBatch, even));
    for (let start = 0; start < anchors.length; start += size) {
      const chunk = anchors.slice(start, start + size);
      const { x, y } = this.assemble(chunk);
      parts.push({ x, y, n: chunk.length, weight: chunk.length / anchors.length });
    }
    const { grads, perHead } = await parallel.compute(parts);
    const headLosses = Array.from(perHead);
    this.checkFinite(headLosses);
    const tensors: tf.Tensor[] = [];
    let offset = 0;
    for (const v of this.net.params.variables) {
      tensors.push(tf.tensor(grads.subarray(offset, offset + v.size), v.shape, 'float32'));
      offset += v.size;
    }
    try {
      this.adam.apply(tensors);
    } finally {
      tf.dispose(tensors);
    }
    this.weightsDirty = true;
    return { loss: headLosses.reduce((a, b) => a + b, 0), headLosses };
  }

  private checkFinite(headLosses: number[]): void {
    if (!headLosses.every((v) => Number.isFinite(v))) {
      throw new NonFiniteLossError(this.epoch, this.step, Object.fromEntries(this.heads.map((name, i) => [name, headLosses[i]])));
    }
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

  async run(hooks: RunHooks = {}): Promise<RunResult> {
    const { control, onEvent, onCheckpoint } = hooks;
    const intervalMs = hooks.checkpointIntervalMs ?? 5 * 60 * 1000;
    const totalSteps = this.stepsPerEpoch * this.config.epochs;
    const sessionStart = now();
    let lastCheckpoint = sessionStart;
    let sessionSteps = 0;
    let sessionImages = 0;
    let trainingMs = 0;
    const checkpoint = async (reason: 'epoch' | 'interval' | 'pause' | 'cancel') => {
      if (!onCheckpoint) return;
      await onCheckpoint(await this.snapshot(this.elapsedBefore + trainingMs / 1000), reason);
      lastCheckpoint = now();
      onEvent?.({ type: 'checkpoint', epoch: this.epoch, step: this.step, reason });
    };
    const finish = (status: RunResult['status']): RunResult => {
      const seconds = this.elapsedBefore + trainingMs / 1000;
      return {
        status,
        perEpoch: [...this.perEpoch],
        perEpochHeads: this.perEpochHeads.map((h) => [...h]),
        steps: this.globalStep,
        seconds,
        imagesPerSecond: seconds > 0 ? (this.imagesSeen + sessionImages) / seconds : 0,
      };
    };
    onEvent?.({ type: 'state', state: 'running' });
    while (this.epoch < this.config.epochs) {
      const order = epochOrder(this.plan, this.config.seed, this.epoch);
      while (this.step < this.stepsPerEpoch) {
        // On synchronous backends (cpu, wasm) every await resolves as a microtask: without
        // this, pause / cancel messages would wait in the event loop until the run ends.
        if (control) await yieldToEventLoop();
        if (control?.paused && !control.cancelled) {
          await checkpoint('pause');
          onEvent?.({ type: 'state', state: 'paused' });
          await control.waitWhilePaused();
          if (!control.cancelled) onEvent?.({ type: 'state', state: 'running' });
        }
        if (control?.cancelled) {
          await checkpoint('cancel');
          onEvent?.({ type: 'state', state: 'cancelled' });
          this.imagesSeen += sessionImages;
          sessionImages = 0;
          return finish('cancelled');
        }
        if (hooks.maxSteps !== undefined && sessionSteps >= hooks.maxSteps) {
          this.imagesSeen += sessionImages;
          sessionImages = 0;
          return finish('stopped');
        }
        const anchors = order.slice(this.step * this.config.batch, (this.step + 1) * this.config.batch);
        const t0 = now();
        const { loss, headLosses } = await this.trainStep(anchors);
        trainingMs += now() - t0;
        this.epochLossSum += loss * anchors.length;
        headLosses.forEach((v, i) => (this.epochHeadSums[i] += v * anchors.length));
        this.epochImages += anchors.length;
        this.step++;
        this.globalStep++;
        sessionSteps++;
        sessionImages += anchors.length;
        const ips = trainingMs > 0 ? (sessionImages * 1000) / trainingMs : 0;
        const remainingSteps = totalSteps - this.globalStep;
        onEvent?.({
          type: 'progress',
          epoch: this.epoch,
          epochs: this.config.epochs,
          step: this.step,
          stepsPerEpoch: this.stepsPerEpoch,
          globalStep: this.globalStep,
          totalSteps,
          loss,
          headLosses: Object.fromEntries(this.heads.map((name, i) => [name, headLosses[i]])),
          imagesPerSecond: ips,
          etaSeconds: sessionSteps > 0 ? (remainingSteps * trainingMs) / sessionSteps / 1000 : 0,
        });
        if (this.step < this.stepsPerEpoch && now() - lastCheckpoint >= intervalMs) await checkpoint('interval');
      }
      const epochLoss = this.epochLossSum / this.epochImages;
      const epochHeads = this.epochHeadSums.map((v) => v / this.epochImages);
      this.perEpoch.push(epochLoss);
      this.perEpochHeads.push(epochHeads);
      onEvent?.({
        type: 'epoch',
        epoch: this.epoch,
        loss: epochLoss,
        headLosses: Object.fromEntries(this.heads.map((n, i) => [n, epochHeads[i]])),
      });
      this.epoch++;
      this.step = 0;
      this.epochLossSum = 0;
      this.epochHeadSums = this.heads.map(() => 0);
      this.epochImages = 0;
      await checkpoint('epoch');
    }
    this.imagesSeen += sessionImages;
    sessionImages = 0;
    onEvent?.({ type: 'state', state: 'done' });
    return finish('done');
  }

  async snapshot(elapsedSeconds = this.elapsedBefore): Promise<TrainerSnapshot> {
    const tensors = await this.weights();
    const params = this.net.params.entries;
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
      version: 1,
      config: { ...this.config, ts: [...this.config.ts] },
      epoch: this.epoch,
      step: this.step,
      globalStep: this.globalStep,
      perEpoch: [...this.perEpoch],
      perEpochHeads: this.perEpochHeads.map((h) => [...h]),
      epochLossSum: this.epochLossSum,
      epochHeadSums: [...this.epochHeadSums],
      epochImages: this.epochImages,
      adamStep: this.adam.step,
      elapsedSeconds,
      imagesSeen: this.imagesSeen,
      tensors,
    };
  }

  /** The network's parameters, in UNet order: what a finished run keeps. */
  weights(): Promise<TensorRecord[]> {
    return networkWeights(this.net);
  }

  /** Continues from a snapshot of a run with the same data and configuration. */
  restore(snapshot: TrainerSnapshot): void {
    const mismatch = (['size', 'width', 'batch', 'lr', 'seed'] as const).filter((k) => snapshot.config[k] !== this.config[k]);
    if (snapshot.config.ts.join() !== this.config.ts.join()) mismatch.push('ts' as never);
    if (mismatch.length > 0) {
      throw new Error(
        `checkpoint was made with different settings (${mismatch.map((k) => `${k}: ${JSON.stringify(snapshot.config[k])} vs ${JSON.stringify(this.config[k])}`).join(', ')})`,
      );
    }
    const byName = new Map(snapshot.tensors.map((t) => [t.name, t]));
    const load = (name: string, target: tf.Variable) => {
      const record = byName.get(name);
      if (!record) throw new Error(`checkpoint lacks tensor ${name}`);
      if (record.shape.join() !== target.shape.join())
        throw new Error(`checkpoint tensor ${name} has shape [${record.shape}], the network wants [${target.shape}]`);
      target.assign(tf.tensor(record.data, record.shape, 'float32'));
    };
    const params = this.net.params.entries;
    tf.tidy(() => {
      params.forEach(({ name, variable }, i) => {
        load(name, variable);
        load(`adam.m/${name}`, this.adam.m[i]);
        load(`adam.v/${name}`, this.adam.v[i]);
      });
    });
    this.adam.step = snapshot.adamStep;
    this.epoch = snapshot.epoch;
    this.step = snapshot.step;
    this.globalStep = snapshot.globalStep;
    this.perEpoch = [...snapshot.perEpoch];
    this.perEpochHeads = snapshot.perEpochHeads.map((h) => [...h]);
    this.epochLossSum = snapshot.epochLossSum;
    this.epochHeadSums = [...snapshot.epochHeadSums];
    this.epochImages = snapshot.epochImages;
    this.elapsedBefore = snapshot.elapsedSeconds;
    this.imagesSeen = snapshot.imagesSeen;
    this.resumedFrom = { epoch: this.epoch, step: this.step };
    this.weightsDirty = true;
  }

  dispose(): void {
    this.adam.dispose();
    this.net.dispose();
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
