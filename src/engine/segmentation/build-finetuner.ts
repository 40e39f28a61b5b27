import type { FinetuneRunSettings } from '../../shared/segmentation.ts';
import { chooseMicroBatch } from '../backends/backend-names.ts';
import type { DenseNetwork } from '../networks/dense-network.ts';
import type { TensorRecord } from '../train/ssmtl-trainer.ts';
import { FinetuneTrainer, type FinetuneSnapshot, type SegmentationExample } from './finetune-trainer.ts';
import { createSegmentationNet, loadBackbone, setHeadPrior } from './segmentation-net.ts';

/**
 * Everything a placement needs to build a fine-tuning's trainer, the same wherever it runs
 * (engine/node/placement: in the job process, or in a page's GPU worker, whose
 * engine/browser/gpu-task.ts builds it with buildFinetuner too).
 */
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

/** Images per forward/backward pass: the request's, or what `activationBytes` of the backend's memory allows. */
export function finetuneMicroBatch(request: FinetuneRequest, activationBytes: number): number {
  return (
    request.microBatch ??
    chooseMicroBatch(request.batch, request.size, request.width, request.classes.length, activationBytes, request.network ?? 'unet')
  );
}
