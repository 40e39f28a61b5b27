import type { FinetuneRunSettings } from '../../shared/segmentation.ts';
import type { DenseNetwork } from '../networks/dense-network.ts';
import type { JobControl } from '../train/control.ts';
import type { TensorRecord } from '../train/ssmtl-trainer.ts';
import {
  FinetuneTrainer,
  type FinetuneEvent,
  type FinetuneRunResult,
  type FinetuneSnapshot,
  type SegmentationExample,
} from './finetune-trainer.ts';
import { createSegmentationNet, loadBackbone, setHeadPrior } from './segmentation-net.ts';

/**
 * A fine-tuning run's trainer wherever it was placed: in the job process
 * (engine/node/segmentation/local-finetuner.ts) or in a page's GPU worker
 * (engine/node/gpu-worker/remote-trainers.ts). finetune-job.ts, which owns the run
 * (its checkpoint file and the model it saves), sees only this.
 */
export interface PlacedFinetuner {
  backend: { name: string; description: string; notes: string[] };
  microBatch: number;
  stepsPerEpoch: number;
  run(hooks: {
    control?: JobControl;
    onEvent?: (event: FinetuneEvent) => void;
    onCheckpoint?: (snapshot: FinetuneSnapshot) => Promise<void> | void;
    checkpointIntervalMs?: number;
  }): Promise<FinetuneRunResult>;
  /** the network's parameters once the run is done */
  weights(): Promise<TensorRecord[]>;
  dispose(): Promise<void>;
}

/** Everything a placement needs to build the trainer, the same wherever it runs. */
export interface FinetuneRequest extends FinetuneRunSettings {
  /** label values, background first */
  classes: number[];
  /** training pixels per class, for the head's starting biases */
  pixelCounts: number[];
  examples: SegmentationExample[];
  /** the pre-trained weights the backbone starts from (null: random) */
  backbone: { tensors: TensorRecord[]; source: string } | null;
  /** where an interrupted run stood */
  resume: FinetuneSnapshot | null;
  /** forced (tests); else what the backend's memory allows */
  microBatch?: number;
}

/** The network (backbone loaded, head biases at the class prior) and its trainer, restored when resuming. */
export function buildFinetuner(request: FinetuneRequest, microBatch: number): { net: DenseNetwork; trainer: FinetuneTrainer } {
  const net = createSegmentationNet(request.network ?? 'unet', request.width, request.classes, request.seed);
  try {
    if (request.backbone) loadBackbone(net, request.backbone.tensors, request.backbone.source);
    setHeadPrior(net, request.classes, request.pixelCounts);
    const { size, batch, lr, seed, epochs } = request;
    const trainer = new FinetuneTrainer(net, request.examples, {
      size,
      classes: request.classes.length,
      batch,
      lr,
      seed,
      epochs,
      microBatch,
    });
    if (request.resume) trainer.restore(request.resume);
    return { net, trainer };
  } catch (error) {
    net.dispose();
    throw error;
  }
}
