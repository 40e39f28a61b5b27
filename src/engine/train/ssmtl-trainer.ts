import * as tf from '@tensorflow/tfjs-core';
import '../gradients.ts';
import { defaultBackbone, PAPER_MOCO, type JobEvent, type PretrainRunResult, type SsmtlConfig } from '../../shared/job.ts';
import { backboneProblem } from '../../shared/pretrain-methods.ts';
import { recordedIntensity } from '../../shared/intensity-mapping.ts';
import { PreprocessedSlices } from '../data/slice-cache.ts';
import type { SliceSource } from '../data/slice-source.ts';
import {
  type Anchor,
  type AnchorPlan,
  epochOrder,
  headNames,
  planAnchors,
  planPairedAnchors,
  planSlices,
  stepsPerEpoch,
} from '../data/sampler.ts';
import { checkNetworkSize } from '../networks/create-network.ts';
import type { DenseNetwork } from '../networks/dense-network.ts';
import type { NamedVariable } from '../networks/params.ts';
import { Adam } from './adam.ts';
import type { ParallelGradients } from './batch-gradients.ts';
import type { JobControl } from './control.ts';
import { NoTrainingDataError, NonFiniteLossError } from './errors.ts';
import { MocoV2Method } from './methods/mocov2.ts';
import { SsmtlMethod } from './methods/ssmtl.ts';
import { SsmtlPlusMethod } from './methods/ssmtl-plus.ts';
import type { PretextMethod } from './pretext-method.ts';
import { copyPosition, type CheckpointReason, TrainingLoop, type TrainingStep } from './training-loop.ts';

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
  /** per-task losses of each epoch (the heads of SSMTL, then 'sim' for SSMTL+; 'infonce' for MoCo v2) */
  perEpochHeads: number[][];
  /** sums over the steps done so far in the current epoch */
  epochLossSum: number;
  epochHeadSums: number[];
  epochImages: number;
  adamStep: number;
  /** seconds spent training in earlier sessions of this run */
  elapsedSeconds: number;
  imagesSeen: number;
  /** the method's state besides tensors (MoCo v2's queue position) */
  methodState?: Record<string, number>;
  /** trained parameters, Adam's m and v ("adam.m/<param>", "adam.v/<param>"), then the method's other state */
  tensors: TensorRecord[];
}

export interface RunHooks {
  control?: JobControl;
  onEvent?: (event: JobEvent) => void;
  /** persist a snapshot; awaited before training continues */
  onCheckpoint?: (snapshot: TrainerSnapshot, reason: CheckpointReason) => Promise<void>;
  /** a checkpoint at least this often (besides every epoch); default 5 minutes */
  checkpointIntervalMs?: number;
  /** stop after this many steps in this session (tests, bench) */
  maxSteps?: number;
}

export type RunResult = PretrainRunResult;

/** The per-task losses a run reports, without building it (the heads of SSMTL; then 'sim' for SSMTL+; 'infonce' for MoCo v2). */
export function taskNames(config: Pick<SsmtlConfig, 'method' | 'ts'>): string[] {
  const method = config.method ?? 'ssmtl';
  if (method === 'mocov2') return ['infonce'];
  return method === 'ssmtl+' ? [...headNames(config.ts), 'sim'] : headNames(config.ts);
}

/**
 * The training items of a run: series filtered by `seriesIds` (all when empty); anchors
 * where every j±t exists (SSMTL), that also have a partner slice (SSMTL+), or every slice
 * (MoCo v2). Throws NoTrainingDataError, saying why, when there are none. The engine host
 * plans a browser GPU worker's run with this too, so both agree.
 */
export function planTraining(
  source: Pick<SliceSource, 'listSeries' | 'slicePositions'>,
  config: Pick<SsmtlConfig, 'size' | 'ts' | 'method' | 'backbone'>,
  seriesIds: string[] = [],
): AnchorPlan {
  const method = config.method ?? 'ssmtl';
  const backbone = config.backbone ?? defaultBackbone(method);
  const problem = backboneProblem(method, backbone);
  if (problem) throw new Error(problem);
  checkNetworkSize(backbone, config.size);
  let series = source.listSeries();
  if (seriesIds.length > 0) {
    const wanted = new Set(seriesIds);
    series = series.filter((s) => wanted.has(s.id));
  }
  // MoCo v2 takes every slice on its own; the others measure t in the scan.
  if (method !== 'mocov2') series = series.map((s) => ({ ...s, positions: s.positions ?? source.slicePositions?.(s.id) ?? null }));
  const plan =
    method === 'mocov2' ? planSlices(series) : method === 'ssmtl+' ? planPairedAnchors(series, config.ts) : planAnchors(series, config.ts);
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
 * Self-supervised pre-training with any of the paper's methods — SSMTL (Sec. 3.2), SSMTL+
 * (Sec. 3.3) or the MoCo v2 baseline — with Adam at the paper's settings, on whichever
 * tfjs backend is active. The method (train/methods/) computes each step's gradients in
 * micro-batches; the loop (training-loop.ts) runs epochs, pause/cancel between
 * micro-batches and checkpoints. Everything that varies between runs (data order,
 * partners, augmentations, initial weights) comes from the seed, so a run resumed from a
 * checkpoint continues exactly as the uninterrupted run would have.
 */
export class SsmtlTrainer {
  readonly method: PretextMethod;
  readonly adam: Adam;
  readonly plan: AnchorPlan;
  /** task names: the per-task losses reported (for SSMTL, the heads) */
  readonly heads: string[];
  readonly stepsPerEpoch: number;
  readonly config: SsmtlConfig;
  private readonly loop: TrainingLoop;
  private order: { epoch: number; anchors: Anchor[] } | null = null;
  resumedFrom: { epoch: number; step: number } | null = null;

  constructor(
    readonly source: SliceSource,
    config: SsmtlConfig,
    options: { cacheBytes?: number; seriesIds?: string[]; parallel?: ParallelGradients } = {},
  ) {
    const method = config.method ?? 'ssmtl';
    this.config = {
      ...config,
      method,
      backbone: config.backbone ?? defaultBackbone(method),
      ...(method === 'ssmtl+' ? { lambda: config.lambda ?? 1 } : {}),
      ...(method === 'mocov2' ? { moco: config.moco ?? PAPER_MOCO } : {}),
    };
    this.plan = planTraining(source, this.config, options.seriesIds);
    this.stepsPerEpoch = stepsPerEpoch(this.plan.anchors.length, this.config.batch);
    const context = {
      config: this.config,
      slices: new PreprocessedSlices(source, this.config.size, recordedIntensity(this.config.intensity), options.cacheBytes),
      plan: this.plan,
    };
    this.method =
      method === 'mocov2'
        ? new MocoV2Method(context)
        : method === 'ssmtl+'
          ? new SsmtlPlusMethod(context)
          : new SsmtlMethod(context, options.parallel ?? null);
    this.heads = this.method.tasks;
    this.adam = new Adam(
      this.method.trainable.map((e) => e.variable),
      { lr: this.config.lr },
    );
    this.loop = new TrainingLoop({
      tasks: this.heads,
      stepsPerEpoch: this.stepsPerEpoch,
      epochs: this.config.epochs,
      checkpointEachEpoch: true,
      total: (losses) => this.method.total(losses),
      beginStep: (epoch, step) => this.beginStep(epoch, step),
    });
  }

  /** The network a dense method trains (SSMTL, SSMTL+); MoCo v2 trains an encoder only. */
  get net(): DenseNetwork {
    const m = this.method as { net?: DenseNetwork };
    if (!m.net) throw new Error(`${this.config.method} trains no dense network`);
    return m.net;
  }

  /** Trained parameters (the optimizer's), in all. */
  get parameterCount(): number {
    return this.method.trainable.reduce((n, e) => n + e.variable.size, 0);
  }

  get position(): { epoch: number; step: number; globalStep: number } {
    const { epoch, step, globalStep } = this.loop.position;
    return { epoch, step, globalStep };
  }

  private beginStep(epoch: number, step: number): TrainingStep {
    if (this.order?.epoch !== epoch) this.order = { epoch, anchors: epochOrder(this.plan, this.config.seed, epoch) };
    const { batch } = this.config;
    const items = this.order.anchors.slice(step * batch, (step + 1) * batch);
    const work = this.method.beginStep(items, epoch, step);
    return {
      images: items.length,
      parts: work.parts,
      runPart: (k) => work.runPart(k),
      finish: async () => {
        const { grads, taskLosses } = work.gradients();
        try {
          // Only a finite loss reaches the weights: a NaN stops the run with the last good state.
          if (!taskLosses.every((v) => Number.isFinite(v)))
            throw new NonFiniteLossError(epoch, step, Object.fromEntries(this.heads.map((name, i) => [name, taskLosses[i]])));
          this.adam.apply(grads);
        } finally {
          tf.dispose(grads);
        }
        work.afterUpdate();
        return taskLosses;
      },
      abort: () => work.abort(),
    };
  }

  async run(hooks: RunHooks = {}): Promise<RunResult> {
    const { onEvent } = hooks;
    const named = (values: number[]) => Object.fromEntries(this.heads.map((name, i) => [name, values[i]]));
    const result = await this.loop.run({
      control: hooks.control,
      checkpointIntervalMs: hooks.checkpointIntervalMs,
      maxSteps: hooks.maxSteps,
      onState: (state) => onEvent?.({ type: 'state', state }),
      onProgress: (p) =>
        onEvent?.({
          type: 'progress',
          epoch: p.epoch,
          epochs: this.config.epochs,
          step: p.step,
          stepsPerEpoch: p.stepsPerEpoch,
          globalStep: p.globalStep,
          totalSteps: p.totalSteps ?? 0,
          loss: p.loss,
          headLosses: named(p.taskLosses),
          imagesPerSecond: p.imagesPerSecond,
          etaSeconds: p.etaSeconds ?? 0,
        }),
      onEpoch: (epoch, loss, taskLosses) => onEvent?.({ type: 'epoch', epoch, loss, headLosses: named(taskLosses) }),
      onCheckpoint: async (reason) => {
        if (!hooks.onCheckpoint) return;
        await hooks.onCheckpoint(await this.snapshot(), reason);
        onEvent?.({ type: 'checkpoint', epoch: this.loop.position.epoch, step: this.loop.position.step, reason });
      },
    });
    const p = this.loop.position;
    return {
      status: result.status === 'done' ? 'done' : result.status === 'cancelled' ? 'cancelled' : 'stopped',
      perEpoch: [...p.perEpoch],
      perEpochHeads: p.perEpochTasks.map((h) => [...h]),
      steps: p.globalStep,
      seconds: p.seconds,
      imagesPerSecond: p.seconds > 0 ? p.imagesSeen / p.seconds : 0,
    };
  }

  async snapshot(): Promise<TrainerSnapshot> {
    const tensors: TensorRecord[] = [];
    const record = async (name: string, variable: tf.Variable) =>
      tensors.push({ name, shape: [...variable.shape], data: (await variable.data()) as Float32Array });
    const trainable = this.method.trainable;
    for (const { name, variable } of trainable) await record(name, variable);
    for (let i = 0; i < trainable.length; i++) {
      await record(`adam.m/${trainable[i].name}`, this.adam.m[i]);
      await record(`adam.v/${trainable[i].name}`, this.adam.v[i]);
    }
    for (const { name, variable } of this.method.state) await record(name, variable);
    const p = copyPosition(this.loop.position);
    return {
      version: 1,
      config: { ...this.config, ts: [...this.config.ts] },
      epoch: p.epoch,
      step: p.step,
      globalStep: p.globalStep,
      perEpoch: p.perEpoch,
      perEpochHeads: p.perEpochTasks,
      epochLossSum: p.epochLossSum,
      epochHeadSums: p.epochTaskSums,
      epochImages: p.epochImages,
      adamStep: this.adam.step,
      elapsedSeconds: p.seconds,
      imagesSeen: p.imagesSeen,
      methodState: this.method.meta(),
      tensors,
    };
  }

  /** The weights a finished run keeps: the backbone (MoCo v2: its query encoder), parameters and batch statistics. */
  async weights(): Promise<TensorRecord[]> {
    return recordsOf(this.method.kept);
  }

  /** Continues from a snapshot of a run with the same data and configuration. */
  restore(snapshot: TrainerSnapshot): void {
    const mismatch = snapshotMismatch(snapshot.config, this.config);
    if (mismatch.length > 0) throw new Error(`checkpoint was made with different settings (${mismatch.join(', ')})`);
    const byName = new Map(snapshot.tensors.map((t) => [t.name, t]));
    const load = (name: string, target: tf.Variable) => {
      const record = byName.get(name);
      if (!record) throw new Error(`checkpoint lacks tensor ${name}`);
      if (record.shape.join() !== target.shape.join())
        throw new Error(`checkpoint tensor ${name} has shape [${record.shape}], the network wants [${target.shape}]`);
      target.assign(tf.tensor(record.data, record.shape, 'float32'));
    };
    tf.tidy(() => {
      this.method.trainable.forEach(({ name, variable }, i) => {
        load(name, variable);
        load(`adam.m/${name}`, this.adam.m[i]);
        load(`adam.v/${name}`, this.adam.v[i]);
      });
      for (const { name, variable } of this.method.state) load(name, variable);
    });
    this.method.restoreMeta(snapshot.methodState ?? {});
    (this.method as { invalidateReplicas?: () => void }).invalidateReplicas?.();
    this.adam.step = snapshot.adamStep;
    this.loop.position = copyPosition({
      epoch: snapshot.epoch,
      step: snapshot.step,
      globalStep: snapshot.globalStep,
      perEpoch: snapshot.perEpoch,
      perEpochTasks: snapshot.perEpochHeads,
      epochLossSum: snapshot.epochLossSum,
      epochTaskSums: snapshot.epochHeadSums,
      epochImages: snapshot.epochImages,
      seconds: snapshot.elapsedSeconds,
      imagesSeen: snapshot.imagesSeen,
      rule: null,
    });
    this.resumedFrom = { epoch: snapshot.epoch, step: snapshot.step };
  }

  dispose(): void {
    this.adam.dispose();
    this.method.dispose();
  }
}

/**
 * Settings a checkpoint must share with the run continuing it ("name: theirs vs ours").
 * The epoch count may grow, and a run keeps its own micro-batch (the caller passes it on).
 */
export function snapshotMismatch(theirs: SsmtlConfig, ours: SsmtlConfig): string[] {
  const method = (c: SsmtlConfig) => c.method ?? 'ssmtl';
  const normalized = (c: SsmtlConfig) => ({
    method: method(c),
    backbone: c.backbone ?? defaultBackbone(method(c)),
    size: c.size,
    width: c.width,
    batch: c.batch,
    lr: c.lr,
    seed: c.seed,
    ts: c.ts.join(','),
    lambda: method(c) === 'ssmtl+' ? (c.lambda ?? 1) : null,
    moco: method(c) === 'mocov2' ? JSON.stringify(c.moco ?? PAPER_MOCO) : null,
    intensity: JSON.stringify(recordedIntensity(c.intensity)),
    // batch statistics are per micro-batch: another size would normalize over other groups
    microBatch: (c.backbone ?? defaultBackbone(method(c))) === 'unet' ? null : c.microBatch,
  });
  const a = normalized(theirs);
  const b = normalized(ours);
  return (Object.keys(a) as (keyof typeof a)[])
    .filter((k) => a[k] !== b[k])
    .map((k) => `${k}: ${JSON.stringify(a[k])} vs ${JSON.stringify(b[k])}`);
}

/** Named variables read back from the backend. */
async function recordsOf(entries: NamedVariable[]): Promise<TensorRecord[]> {
  const out: TensorRecord[] = [];
  for (const { name, variable } of entries) out.push({ name, shape: [...variable.shape], data: (await variable.data()) as Float32Array });
  return out;
}
