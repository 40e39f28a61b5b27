import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../../shared/errors.ts';
import type { Backbone } from '../../../shared/job.ts';
import type { DenseNetwork } from '../../networks/dense-network.ts';
import { createSegmentationNet, IncompatibleWeightsError, loadAll } from '../../segmentation/segmentation-net.ts';
import type { TensorRecord } from '../../train/ssmtl-trainer.ts';
import { readCheckpointFile, writeCheckpointFile } from '../checkpoint-file.ts';
import type { ModelRecord, Workspace } from '../workspace/workspace.ts';

/**
 * Segmentation models in the workspace: weights in models/NAME/seg-weights-<id>.bin (a
 * new file per training, so the catalogue row never points at a half-written one) and a
 * `models` row of kind 'segmentation' whose meta says how to rebuild the network.
 */
export interface SegmentationMeta {
  network: Backbone;
  size: number;
  width: number;
  classes: number[];
  /** the model the backbone came from, or 'none' */
  init: string;
  seed: number;
  lr: number;
  batch: number;
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

/** Weights of a model by name: a pre-trained one (weights.bin) or a segmentation one. */
export function readModelWeights(workspace: Workspace, record: ModelRecord): TensorRecord[] {
  const meta = record.meta as { weights?: string | null; complete?: boolean };
  const file = meta.weights;
  if (!file) throw new InputError(`model '${record.name}' has no finished weights (its training did not complete; resume or rerun it)`);
  const path = join(workspace.dir, 'models', record.name, file);
  if (!existsSync(path)) throw new InputError(`model '${record.name}': weights file ${path} is missing`);
  return readCheckpointFile(path).tensors;
}

export function requireSegmentationModel(workspace: Workspace, name: string): { record: ModelRecord; meta: SegmentationMeta } {
  const record = workspace.getModel(name);
  if (!record) {
    const names = workspace
      .listModels()
      .filter((m) => m.kind === 'segmentation')
      .map((m) => m.name);
    throw new InputError(
      `--model: no segmentation model '${name}' in ${workspace.dir} (it has: ${names.length ? names.join(', ') : 'none; run ssmtl finetune first'})`,
    );
  }
  if (record.kind !== 'segmentation')
    throw new InputError(
      `--model ${name} is a ${record.kind} model, not a segmentation model: fine-tune one from it with ssmtl finetune --init ${name}`,
    );
  return { record, meta: record.meta as SegmentationMeta };
}

export function loadSegmentationNet(workspace: Workspace, name: string): { net: DenseNetwork; meta: SegmentationMeta } {
  const { record, meta } = requireSegmentationModel(workspace, name);
  const tensors = readModelWeights(workspace, record);
  const net = createSegmentationNet(meta.network ?? 'unet', meta.width, meta.classes, meta.seed);
  try {
    loadAll(net, tensors, `model '${name}'`);
  } catch (error) {
    net.dispose();
    if (error instanceof IncompatibleWeightsError) throw new InputError(error.message);
    throw error;
  }
  return { net, meta };
}

/** Writes the weights, then switches the catalogue row, then removes the previous weights. */
export function saveSegmentationModel(
  workspace: Workspace,
  name: string,
  tensors: TensorRecord[],
  meta: Omit<SegmentationMeta, 'weights'>,
): void {
  const dir = workspace.modelDir(name);
  const previous = workspace.getModel(name);
  const weights = `seg-weights-${randomBytes(6).toString('hex')}.bin`;
  writeCheckpointFile(join(dir, weights), { kind: 'ssmtl-segmentation-weights', ...meta }, tensors);
  workspace.saveModel({
    name,
    kind: 'segmentation',
    method: meta.init === 'none' ? 'scratch' : `finetune:${meta.init}`,
    createdAt: new Date().toISOString(),
    meta: { ...meta, weights },
  });
  const old = (previous?.meta as { weights?: string } | undefined)?.weights;
  if (previous?.kind === 'segmentation' && old && old !== weights) rmSync(join(dir, old), { force: true });
}
