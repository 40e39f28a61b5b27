import * as tf from '@tensorflow/tfjs-core';
import type { Backbone } from '../../shared/job.ts';
import { createNetwork } from '../networks/create-network.ts';
import type { DenseNetwork } from '../networks/dense-network.ts';

/**
 * The segmentation network of the paper's downstream task: the backbone (U-Net, or
 * ResNet50-FCN) with the pretext heads dropped and a new 1×1 conv head (→ classes),
 * softmax over the classes. The paper (Sec. 4.2) fine-tunes the pre-trained backbone on
 * the labelled slices "until convergence"; its pretext heads have no use there. Weights
 * are named like the pre-training network's, so a backbone loads by name.
 */
export function segmentationHeadNames(classes: number[]): string[] {
  return classes.map((v) => `class${v}`);
}

export function createSegmentationNet(backbone: Backbone, width: number, classes: number[], seed: number): DenseNetwork {
  if (classes.length < 2)
    throw new Error(`a segmentation model needs background and at least one label, got classes [${classes.join(', ')}]`);
  return createNetwork(backbone, width, segmentationHeadNames(classes), seed);
}

export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** Raised when pre-trained weights do not fit this network (other width, depth, input). */
export class IncompatibleWeightsError extends Error {
  override readonly name = 'IncompatibleWeightsError';
}

/**
 * Copies every backbone weight (all but `head.*`, batch statistics included) into the net;
 * the head keeps its fresh initialisation. A ResNet50-FCN's decoder may be absent (MoCo v2
 * pre-trains the encoder only: "when fine-tuning with the downstream task, the decoder is
 * randomly initialized", paper Sec. 4.2); then it keeps its fresh weights too. Returns
 * the number of tensors loaded.
 */
export function loadBackbone(net: DenseNetwork, tensors: NamedTensor[], source: string): number {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const optional = (name: string) => net.backbone === 'resnet50-fcn' && name.startsWith('decoder.');
  const hasDecoder = [...byName.keys()].some((name) => name.startsWith('decoder.'));
  let loaded = 0;
  for (const { name, variable } of net.params.all) {
    if (name.startsWith('head.')) continue;
    const record = byName.get(name);
    if (!record) {
      if (optional(name) && !hasDecoder) continue;
      throw new IncompatibleWeightsError(`${source} has no weight ${name}: it is not a ${net.backbone} of this depth`);
    }
    if (record.shape.join() !== variable.shape.join()) {
      throw new IncompatibleWeightsError(
        `${source}: weight ${name} is [${record.shape.join(', ')}], this network needs [${variable.shape.join(', ')}]`,
      );
    }
    variable.assign(tfTensor(record));
    loaded++;
  }
  return loaded;
}

/**
 * Starts the head's biases at the log of each class's share of the training pixels (with
 * a floor), so that the first steps do not spend themselves learning that most pixels are
 * background (the prior initialisation of Lin et al., "Focal Loss", 2017). The same for
 * pre-trained and scratch models, so comparisons stay fair.
 */
export function setHeadPrior(net: DenseNetwork, classes: number[], pixelCounts: number[]): void {
  const total = pixelCounts.reduce((a, b) => a + b, 0);
  classes.forEach((v, k) => {
    const share = Math.max(pixelCounts[k] / Math.max(total, 1), 1e-3);
    net.params.get(`head.class${v}.b`).assign(tf.tensor1d([Math.log(share)]));
  });
}

/** Copies every weight, heads and batch statistics included (a saved segmentation model). */
export function loadAll(net: DenseNetwork, tensors: NamedTensor[], source: string): void {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  for (const { name, variable } of net.params.all) {
    const record = byName.get(name);
    if (!record) throw new IncompatibleWeightsError(`${source} has no weight ${name}`);
    if (record.shape.join() !== variable.shape.join()) {
      throw new IncompatibleWeightsError(
        `${source}: weight ${name} is [${record.shape.join(', ')}], this network needs [${variable.shape.join(', ')}]`,
      );
    }
    variable.assign(tfTensor(record));
  }
}

function tfTensor(record: NamedTensor): tf.Tensor {
  return tf.tensor(record.data, record.shape, 'float32');
}
