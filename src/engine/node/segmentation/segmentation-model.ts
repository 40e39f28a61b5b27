import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../../shared/errors.ts';
import type { LabelDefinition } from '../../../shared/labels.ts';
import { labelsOfClasses, readLabelSet } from '../annotations/label-set.ts';
import type { DenseNetwork } from '../../networks/dense-network.ts';
import { createSegmentationNet, IncompatibleWeightsError, loadAll } from '../../segmentation/segmentation-net.ts';
import type { TensorRecord } from '../../train/ssmtl-trainer.ts';
import { readCheckpointFile, writeCheckpointFile } from '../checkpoint-file.ts';
import {
  readModel,
  readModels,
  segmentationMethod,
  weightsPath,
  type SegmentationMeta,
  type StoredModel,
} from '../workspace/model-state.ts';
import type { Workspace } from '../workspace/workspace.ts';
import { writerTag } from '../workspace/sweep.ts';

/**
 * Segmentation models in the workspace: weights in models/NAME/seg-weights-<id>.bin (a
 * new file per training, so the catalogue row never points at a half-written one) and a
 * `models` row of kind 'segmentation' whose meta (SegmentationMeta, workspace/model-state.ts)
 * says how to rebuild the network.
 */
/** The labels a segmentation model predicts: those it recorded, or (older models) the workspace's for its classes. */
export function modelLabels(workspace: Workspace, meta: SegmentationMeta): LabelDefinition[] {
  return meta.labels ?? labelsOfClasses(readLabelSet(workspace), meta.classes);
}

/** Weights of a model by name: a pre-trained one (weights.bin) or a segmentation one. */
export function readModelWeights(workspace: Workspace, model: StoredModel): TensorRecord[] {
  const path = weightsPath(workspace.dir, model);
  if (!path) throw new InputError(`model '${model.name}' has no finished weights (its training did not complete; resume or rerun it)`);
  if (!existsSync(path)) throw new InputError(`model '${model.name}': weights file ${path} is missing`);
  return readCheckpointFile(path).tensors;
}

export function requireSegmentationModel(workspace: Workspace, name: string): StoredModel & { kind: 'segmentation' } {
  const record = readModel(workspace, name);
  if (!record) {
    const names = readModels(workspace)
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
  return record;
}

export function loadSegmentationNet(workspace: Workspace, name: string): { net: DenseNetwork; meta: SegmentationMeta } {
  const model = requireSegmentationModel(workspace, name);
  const { meta } = model;
  const tensors = readModelWeights(workspace, model);
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
  const previous = readModel(workspace, name);
  const weights = `seg-weights-${writerTag()}-${randomBytes(6).toString('hex')}.bin`;
  writeCheckpointFile(join(dir, weights), { kind: 'ssmtl-segmentation-weights', ...meta }, tensors);
  workspace.saveModel({
    name,
    kind: 'segmentation',
    method: segmentationMethod(meta.init),
    createdAt: new Date().toISOString(),
    meta: { ...meta, weights },
  });
  if (previous?.kind === 'segmentation' && previous.meta.weights && previous.meta.weights !== weights)
    rmSync(join(dir, previous.meta.weights), { force: true });
}
