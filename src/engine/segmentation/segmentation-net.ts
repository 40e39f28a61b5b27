import * as tf from '@tensorflow/tfjs-core';
import { UNet } from '../networks/unet.ts';

/**
 * The segmentation network of the paper's downstream task: the U-Net backbone f_θ with
 * the pretext heads dropped and a new 1×1 conv head (width → classes), softmax over the
 * classes. The paper (Sec. 4.2) fine-tunes the SSMTL-pre-trained U-Net on the labelled
 * slices "until convergence"; its pretext heads (1×1, width → 1) have no use there.
 * Weights are named like the pre-training U-Net's, so a backbone loads by name.
 */
export function segmentationHeadNames(classes: number[]): string[] {
  return classes.map((v) => `class${v}`);
}

export function createSegmentationNet(width: number, classes: number[], seed: number): UNet {
  if (classes.length < 2)
    throw new Error(`a segmentation model needs background and at least one label, got classes [${classes.join(', ')}]`);
  return new UNet({ width, heads: classes.length }, seed, segmentationHeadNames(classes));
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

/** Copies every backbone weight (all but `head.*`) into the net; the head keeps its fresh initialisation. */
export function loadBackbone(net: UNet, tensors: NamedTensor[], source: string): number {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  let loaded = 0;
  for (const { name, variable } of net.params.entries) {
    if (name.startsWith('head.')) continue;
    const record = byName.get(name);
    if (!record) throw new IncompatibleWeightsError(`${source} has no weight ${name}: it is not a U-Net of this depth`);
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
export function setHeadPrior(net: UNet, classes: number[], pixelCounts: number[]): void {
  const total = pixelCounts.reduce((a, b) => a + b, 0);
  classes.forEach((v, k) => {
    const share = Math.max(pixelCounts[k] / Math.max(total, 1), 1e-3);
    net.params.get(`head.class${v}.b`).assign(tf.tensor1d([Math.log(share)]));
  });
}

/** Copies every weight, heads included (a saved segmentation model). */
export function loadAll(net: UNet, tensors: NamedTensor[], source: string): void {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  for (const { name, variable } of net.params.entries) {
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
