import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { IntensityMapping } from '../../../shared/intensity-mapping.ts';
import type { Backbone, SkippedSeriesInfo } from '../../../shared/job.ts';
import type { LabelDefinition } from '../../../shared/labels.ts';
import { readCheckpointHeader } from '../checkpoint-file.ts';
import type { ModelRecord, Workspace } from './workspace.ts';

/**
 * What a model of the workspace is, read from its catalogue row once: the row's meta
 * parsed into a PretrainedMeta or a SegmentationMeta, whether the model is finished, and
 * where its files lie. Every "is this model finished?" and every path into a model's
 * folder is answered here.
 *
 * A pre-training's row is written at every checkpoint (complete: false) and once more
 * when it finishes (complete: true, weights: weights.bin). A segmentation model's row is
 * written only when its training finished; a fine-tuning stopped before that has only a
 * checkpoint file in its folder (interruptedFinetunes).
 */
export const MODELS_FOLDER = 'models';
/** a pre-training's checkpoint: weights, Adam state and position, for --resume */
export const CHECKPOINT_FILE = 'checkpoint.bin';
/** a finished pre-training's weights */
export const WEIGHTS_FILE = 'weights.bin';
/** a fine-tuning's checkpoint, until its model is saved */
export const FINETUNE_CHECKPOINT = 'finetune-checkpoint.bin';

/** The row of a pre-trained model (pretrain-job.ts writes it). */
export interface PretrainedMeta {
  method: string;
  backbone: string;
  /** older rows (and weights.bin headers) name the network instead of the backbone */
  network?: string;
  t: number[];
  size: number;
  width: number;
  batch: number;
  lr: number;
  seed: number;
  /** how stored values became grey levels (absent in models made before it existed: none, read with recordedIntensity) */
  intensity?: IntensityMapping;
  normalization: 'instance';
  resize: 'bilinear';
  heads: string[];
  backend: string;
  backendDescription: string;
  threads: number;
  /** series it learnt from */
  series: string[];
  skipped: SkippedSeriesInfo[];
  anchors: number;
  complete: boolean;
  epochsDone: number;
  losses: { perEpoch: number[]; perHead: Record<string, number[]> };
  /** the weights file once finished, else null */
  weights: string | null;
  checkpoint: string;
  seconds?: number;
  imagesPerSecond?: number;
}

/** The row of a segmentation model (segmentation-model.ts writes it): how to rebuild the network. */
export interface SegmentationMeta {
  network: Backbone;
  size: number;
  width: number;
  classes: number[];
  /**
   * The labels it learnt (names, colours, values of `classes` but background), as the
   * workspace's set had them when it trained: its predictions are named and coloured so
   * even after the set changed. Absent from models trained before it was recorded.
   */
  labels?: LabelDefinition[];
  /** the model the backbone came from, or 'none' */
  init: string;
  seed: number;
  lr: number;
  batch: number;
  /** how stored values become grey levels: the pre-trained model's when fine-tuned from one (absent in models made before it existed: none) */
  intensity?: IntensityMapping;
  normalization: 'instance';
  resize: 'bilinear';
  weights: string;
  trainSlices: number;
  series: { id: string; slices: number[] }[];
  epochs: number;
  steps: number;
  stopReason: string;
  seconds: number;
  backend: string;
  loss: number[];
}

export type StoredModel =
  | (Omit<ModelRecord, 'kind' | 'meta'> & { kind: 'pretrained'; meta: PretrainedMeta })
  | (Omit<ModelRecord, 'kind' | 'meta'> & { kind: 'segmentation'; meta: SegmentationMeta });

/** finished: its weights can start a fine-tuning or segment a series; resumable: its checkpoint continues it. */
export type ModelStatus = 'finished' | 'resumable';

/** The `method` a segmentation model's row records: how its backbone started. */
export function segmentationMethod(init: string): string {
  return init === 'none' ? 'scratch' : `finetune:${init}`;
}

/** A catalogue row, its meta typed by kind. */
export function parseModel(record: ModelRecord): StoredModel {
  const meta = (record.meta ?? {}) as Record<string, unknown>;
  if (record.kind === 'segmentation') return { ...record, kind: 'segmentation', meta: meta as unknown as SegmentationMeta };
  const series = Array.isArray(meta.series) ? meta.series.filter((s): s is string => typeof s === 'string') : [];
  const weights = typeof meta.weights === 'string' && meta.weights ? meta.weights : null;
  return {
    ...record,
    kind: 'pretrained',
    meta: { ...(meta as unknown as PretrainedMeta), series, weights, complete: meta.complete === true },
  };
}

export function readModel(workspace: Workspace, name: string): StoredModel | undefined {
  const record = workspace.getModel(name);
  return record && parseModel(record);
}

/** Every model of the catalogue, oldest first. */
export function readModels(workspace: Workspace): StoredModel[] {
  return workspace.listModels().map(parseModel);
}

export function modelStatus(model: StoredModel): ModelStatus {
  if (model.kind === 'segmentation') return 'finished';
  return model.meta.complete && model.meta.weights ? 'finished' : 'resumable';
}

export function isFinished(model: StoredModel | undefined): boolean {
  return model !== undefined && modelStatus(model) === 'finished';
}

/** Finished pre-trained models, oldest first: what a fine-tuning can start from. */
export function finishedPretrained(workspace: Workspace): (StoredModel & { kind: 'pretrained' })[] {
  return readModels(workspace).filter((m): m is StoredModel & { kind: 'pretrained' } => m.kind === 'pretrained' && isFinished(m));
}

/** Where a model's files lie (whether or not they exist yet). */
export function modelFiles(workspaceDir: string, name: string): { dir: string; checkpoint: string; finetuneCheckpoint: string } {
  const dir = join(workspaceDir, MODELS_FOLDER, name);
  return { dir, checkpoint: join(dir, CHECKPOINT_FILE), finetuneCheckpoint: join(dir, FINETUNE_CHECKPOINT) };
}

/** The weights file of a finished model, or null. */
export function weightsPath(workspaceDir: string, model: StoredModel): string | null {
  return isFinished(model) && model.meta.weights ? join(modelFiles(workspaceDir, model.name).dir, model.meta.weights) : null;
}

/** A fine-tuning stopped before it saved a model: its checkpoint is all there is of it. */
export interface InterruptedFinetune {
  name: string;
  /** the model its backbone came from, or 'none' */
  init: string;
  epochsDone: number;
  /** when its checkpoint was written */
  stoppedAt: string;
}

/** The interrupted fine-tunings in the models folder (names without a catalogue row). */
export function interruptedFinetunes(workspace: Workspace): InterruptedFinetune[] {
  const folder = join(workspace.dir, MODELS_FOLDER);
  if (!existsSync(folder)) return [];
  const recorded = new Set(workspace.listModels().map((m) => m.name));
  const out: InterruptedFinetune[] = [];
  for (const name of readdirSync(folder)) {
    const checkpoint = modelFiles(workspace.dir, name).finetuneCheckpoint;
    if (recorded.has(name) || !existsSync(checkpoint)) continue;
    try {
      const header = readCheckpointHeader(checkpoint) as { init?: string; progress?: { perEpoch?: number[] } };
      if (typeof header.init !== 'string') continue;
      out.push({
        name,
        init: header.init,
        epochsDone: header.progress?.perEpoch?.length ?? 0,
        stoppedAt: statSync(checkpoint).mtime.toISOString(),
      });
    } catch {
      // An unreadable checkpoint cannot be resumed; it is left for the CLI to report.
    }
  }
  return out;
}
