import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, quoteSome } from '../../shared/errors.ts';
import { recordedIntensity, resolveIntensity, type IntensityMapping, type IntensitySpec } from '../../shared/intensity-mapping.ts';
import {
  PAPER_MOCO,
  type Backbone,
  type BackendChoice,
  type JobEvent,
  type PretrainMethod,
  type PretrainSummary,
} from '../../shared/job.ts';
import { BackendUnavailableError } from '../backends/backend-names.ts';
import type { JobControl } from '../train/control.ts';
import { NoTrainingDataError } from '../train/errors.ts';
import type { TrainerSnapshot } from '../train/ssmtl-trainer.ts';
import { readCheckpointFile, writeCheckpointFile } from './checkpoint-file.ts';
import type { WriteChunk } from './atomic-file.ts';
import { placePretrainInProcess } from './placement/in-process.ts';
import type { PlacedPretrainer, Placement, PretrainRequest } from './placement/placed-run.ts';
import { CHECKPOINT_FILE, WEIGHTS_FILE, isFinished, readModel, type PretrainedMeta } from './workspace/model-state.ts';
import { Workspace } from './workspace/workspace.ts';

/**
 * One pre-training run against a workspace: backend, data, trainer, checkpoints and the
 * model record. Runs inside the job process (jobs/pretrain-child.ts); tests call it directly.
 * Files in the model's folder: checkpoint.bin (weights + Adam state + position, for
 * --resume) and, once finished, weights.bin (weights only).
 */
export interface PretrainOptions {
  workspace: string;
  /** empty: every series in the workspace */
  seriesIds: string[];
  method: PretrainMethod;
  backbone: Backbone;
  /** SSMTL+: weight of the similarity loss (default 1) */
  lambda?: number;
  /** SSMTL, SSMTL+: slice distances (MoCo v2 has none) */
  ts: number[];
  epochs: number;
  batch: number;
  size: number;
  width: number;
  lr: number;
  seed: number;
  backend: BackendChoice;
  name: string;
  resume: boolean;
  /** default 5 minutes */
  checkpointIntervalMs?: number;
  /** data-parallel gradient worker threads (CPU backends); default: one per core for wasm */
  threads?: number;
  /** override the memory-derived micro-batch (tests) */
  microBatch?: number;
  /** stop after this many steps in this session, as if killed after a checkpoint (tests) */
  maxSteps?: number;
  /** how stored values become grey levels; absent or 'auto': by the series' modality (shared/intensity-mapping.ts) */
  intensity?: IntensitySpec;
}

/** Writing a checkpoint failed (e.g. a full disk); the previous one is still valid. The user can act: exit 2. */
export class CheckpointWriteError extends InputError {}

export function defaultModelName(o: Pick<PretrainOptions, 'method' | 'backbone' | 'ts' | 'size' | 'width' | 'seed'>): string {
  const t = o.method === 'mocov2' ? '' : `-t${o.ts.join('-')}`;
  const backbone = o.backbone === 'unet' ? '' : `-${o.backbone}`;
  return `${o.method}${t}${backbone}-${o.size}px-w${o.width}-seed${o.seed}`;
}

interface CheckpointMeta {
  kind: 'ssmtl-checkpoint';
  /** intensity: resolved (absent in checkpoints made before it existed: none) */
  options: Omit<PretrainOptions, 'resume' | 'maxSteps' | 'intensity'> & { intensity?: IntensityMapping };
  series: string[];
  snapshot: Omit<TrainerSnapshot, 'tensors'>;
}

function requireKnownSeries(workspace: Workspace, seriesIds: string[]): void {
  const unknown = workspace.unknownSeries(seriesIds);
  if (unknown.length > 0) throw new InputError(`no series ${quoteSome(unknown)} in ${workspace.dir}`, { setting: 'series' });
}

/** What can be refused before a job process starts: a workspace that is none, series it does not hold. */
export function checkPretrainOptions(options: PretrainOptions): void {
  const workspace = Workspace.open(options.workspace, { create: false });
  try {
    if (!options.resume) requireKnownSeries(workspace, options.seriesIds);
  } finally {
    workspace.close();
  }
}

export async function runPretrain(
  options: PretrainOptions,
  hooks: {
    emit?: (event: JobEvent) => void;
    control?: JobControl;
    writeChunk?: WriteChunk;
    /** where the trainer runs; default: this process, on the backend options.backend picks */
    place?: Placement<PretrainRequest, PlacedPretrainer>;
  } = {},
): Promise<PretrainSummary> {
  const emit = hooks.emit ?? (() => {});
  const workspace = Workspace.open(options.workspace, { create: false });
  let trainer: PlacedPretrainer | null = null;
  let dir = '';
  try {
    dir = workspace.modelDir(options.name);
    const checkpointPath = join(dir, CHECKPOINT_FILE);
    let resumeFrom: { meta: CheckpointMeta; snapshot: TrainerSnapshot } | null = null;
    let effective = options;
    if (options.resume) {
      if (!existsSync(checkpointPath))
        throw new InputError(`model '${options.name}' has no checkpoint in ${dir} (nothing to resume)`, { setting: 'resume' });
      const { header, tensors } = readCheckpointFile(checkpointPath);
      const meta = header as unknown as CheckpointMeta;
      if (meta.kind !== 'ssmtl-checkpoint') throw new InputError(`${checkpointPath} is not an SSMTL checkpoint`, { setting: 'resume' });
      resumeFrom = { meta, snapshot: { ...meta.snapshot, tensors } };
      // The run continues with its own settings; only the backend and (a larger) epoch count may change.
      effective = {
        ...meta.options,
        backend: options.backend,
        epochs: Math.max(options.epochs, meta.options.epochs),
        resume: true,
        maxSteps: options.maxSteps,
        checkpointIntervalMs: options.checkpointIntervalMs ?? meta.options.checkpointIntervalMs,
        intensity: recordedIntensity(meta.options.intensity),
      };
      // A run killed after its last epoch but before it was recorded as complete only needs
      // finishing (the training loop does nothing); one recorded complete needs more epochs.
      if (meta.snapshot.epoch >= effective.epochs && isFinished(readModel(workspace, options.name))) {
        throw new InputError(`model '${options.name}' already finished its ${meta.options.epochs} epochs`, {
          setting: 'resume',
          remedy: 'more-epochs',
        });
      }
    } else if (existsSync(checkpointPath) || workspace.getModel(options.name)) {
      throw new InputError(`model '${options.name}' already exists in ${workspace.dir}`, { remedy: 'resume-or-rename' });
    }

    requireKnownSeries(workspace, effective.seriesIds);
    const seriesIds = resumeFrom ? resumeFrom.meta.series : effective.seriesIds;
    const intensity = resolveIntensity(
      effective.intensity ?? 'auto',
      (seriesIds.length > 0 ? seriesIds.map((id) => workspace.requireSeries(id)) : workspace.listSeries()).map((s) => s.modality),
    );
    effective = { ...effective, intensity };

    const request: PretrainRequest = {
      config: {
        method: effective.method,
        backbone: effective.backbone,
        ...(effective.method === 'ssmtl+' ? { lambda: effective.lambda ?? 1 } : {}),
        ...(effective.method === 'mocov2' ? { moco: PAPER_MOCO } : {}),
        ts: effective.ts,
        size: effective.size,
        width: effective.width,
        batch: effective.batch,
        lr: effective.lr,
        seed: effective.seed,
        epochs: effective.epochs,
        intensity,
      },
      seriesIds,
      resume: resumeFrom?.snapshot ?? null,
      microBatch: effective.microBatch,
      threads: resumeFrom?.meta.options.threads ?? effective.threads,
    };
    try {
      trainer = await (hooks.place ?? ((r: PretrainRequest) => placePretrainInProcess(workspace, effective.backend, r)))(request);
    } catch (error) {
      if (error instanceof BackendUnavailableError) throw new InputError(error.message, { setting: 'backend', value: effective.backend });
      if (error instanceof NoTrainingDataError) throw new InputError(error.message);
      throw error;
    }
    const { backend, microBatch, threads } = trainer;
    effective = { ...effective, threads };
    const active = trainer;
    const { resume: _resume, maxSteps: _maxSteps, ...persisted } = effective;
    const baseMeta = () => ({
      method: effective.method,
      backbone: effective.backbone,
      ...(effective.method === 'ssmtl+' ? { lambda: effective.lambda ?? 1 } : {}),
      ...(effective.method === 'mocov2' ? { moco: PAPER_MOCO } : {}),
      /** what the kept weights hold: the whole backbone, or (MoCo v2) its encoder only */
      parts: effective.method === 'mocov2' ? ['encoder'] : ['encoder', 'decoder'],
      t: effective.ts,
      size: effective.size,
      width: effective.width,
      batch: effective.batch,
      lr: effective.lr,
      seed: effective.seed,
      intensity,
      normalization: 'instance' as const,
      resize: 'bilinear' as const,
      heads: active.heads,
      backend: backend.name,
      backendDescription: backend.description,
      threads,
      series: active.plan.used,
      skipped: active.plan.skipped,
      anchors: active.plan.anchors.length,
      skippedAnchors: active.plan.skippedAnchors ?? [],
      withoutPositions: active.plan.withoutPositions ?? [],
    });
    const saveRecord = (extra: Omit<PretrainedMeta, keyof ReturnType<typeof baseMeta>>) =>
      workspace.saveModel({
        name: effective.name,
        kind: 'pretrained',
        method: effective.method,
        createdAt: new Date().toISOString(),
        meta: { ...baseMeta(), ...extra },
      });

    emit({
      type: 'started',
      model: effective.name,
      method: effective.method,
      backend: backend.name,
      backendNotes: [backend.description, ...backend.notes],
      epochs: effective.epochs,
      stepsPerEpoch: active.stepsPerEpoch,
      totalSteps: active.stepsPerEpoch * effective.epochs,
      anchors: active.plan.anchors.length,
      series: active.plan.used,
      skipped: active.plan.skipped,
      skippedAnchors: active.plan.skippedAnchors ?? [],
      withoutPositions: active.plan.withoutPositions ?? [],
      heads: active.heads,
      resumedFrom: active.resumedFrom,
      microBatch,
    });
    const result = await active.run({
      control: hooks.control,
      onEvent: emit,
      checkpointIntervalMs: effective.checkpointIntervalMs,
      maxSteps: effective.maxSteps,
      onCheckpoint: async (snapshot, reason) => {
        const { tensors, ...rest } = snapshot;
        const meta: CheckpointMeta = {
          kind: 'ssmtl-checkpoint',
          options: { ...persisted, intensity },
          series: active.plan.used,
          snapshot: rest,
        };
        try {
          writeCheckpointFile(checkpointPath, meta as unknown as Record<string, unknown>, tensors, hooks.writeChunk);
        } catch (error) {
          throw new CheckpointWriteError(
            `could not write the checkpoint of epoch ${snapshot.epoch + (snapshot.step > 0 ? 1 : 0)} to ${checkpointPath} (${(error as Error).message}); ` +
              `the previous checkpoint is kept: free some disk space and continue with --resume --name ${effective.name}`,
          );
        }
        if (reason === 'epoch' || reason === 'cancel') {
          saveRecord({
            complete: false,
            epochsDone: snapshot.epoch,
            losses: { perEpoch: snapshot.perEpoch, perHead: transpose(active.heads, snapshot.perEpochHeads) },
            weights: null,
            checkpoint: CHECKPOINT_FILE,
          });
        }
      },
    });
    const headLosses = transpose(active.heads, result.perEpochHeads);
    if (result.status === 'done') {
      const tensors = await active.weights();
      writeCheckpointFile(
        join(dir, WEIGHTS_FILE),
        { kind: 'ssmtl-weights', network: effective.backbone, ...baseMeta() },
        tensors,
        hooks.writeChunk,
      );
      saveRecord({
        complete: true,
        epochsDone: result.perEpoch.length,
        losses: { perEpoch: result.perEpoch, perHead: headLosses },
        seconds: result.seconds,
        imagesPerSecond: result.imagesPerSecond,
        weights: WEIGHTS_FILE,
        checkpoint: CHECKPOINT_FILE,
      });
    }
    return {
      model: effective.name,
      method: effective.method,
      backbone: effective.backbone,
      backend: backend.name,
      epochs: effective.epochs,
      steps: result.steps,
      seconds: round(result.seconds, 3),
      imagesPerSecond: round(result.imagesPerSecond, 3),
      loss: { first: result.perEpoch[0] ?? null, last: result.perEpoch.at(-1) ?? null, perEpoch: result.perEpoch },
      headLosses,
      resumed: resumeFrom !== null,
      skipped: active.plan.skipped,
      skippedAnchors: active.plan.skippedAnchors ?? [],
      status: result.status,
    } satisfies PretrainSummary;
  } finally {
    await trainer?.dispose();
    // A run that failed before its first checkpoint leaves no empty model folder behind.
    if (dir && readdirSync(dir).length === 0 && !workspace.getModel(options.name)) rmSync(dir, { recursive: true, force: true });
    workspace.close();
  }
}

function transpose(heads: string[], perEpochHeads: number[][]): Record<string, number[]> {
  return Object.fromEntries(heads.map((h, i) => [h, perEpochHeads.map((e) => e[i])]));
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
