import { availableParallelism } from 'node:os';
import { defaultBackbone, type BackendChoice } from '../../../shared/job.ts';
import { chooseMicroBatch } from '../../backends/backend-names.ts';
import { headNames } from '../../data/sampler.ts';
import type { SliceSource } from '../../data/slice-source.ts';
import { networkWeights } from '../../networks/network-weights.ts';
import { buildFinetuner, finetuneMicroBatch, type FinetuneRequest } from '../../segmentation/build-finetuner.ts';
import { predictSlices, type PredictRequest } from '../../segmentation/predict.ts';
import { createSegmentationNet, loadAll } from '../../segmentation/segmentation-net.ts';
import { SsmtlTrainer, taskNames } from '../../train/ssmtl-trainer.ts';
import { loadBackend } from '../load-backend.ts';
import { WorkerGradients } from '../parallel/worker-gradients.ts';
import type { PlacedFinetuner, PlacedPredictor, PlacedPretrainer, PretrainRequest } from './placed-run.ts';

/**
 * Runs placed in this process (the job process, or a test): on the tfjs backend `choice`
 * resolves to (load-backend.ts).
 */

/** Pre-training, with data-parallel gradient worker threads on the idle cores on the CPU backends. */
export async function placePretrainInProcess(
  source: SliceSource,
  choice: BackendChoice,
  request: PretrainRequest,
): Promise<PlacedPretrainer> {
  const backend = await loadBackend(choice);
  const { config } = request;
  const method = config.method ?? 'ssmtl';
  const backbone = config.backbone ?? defaultBackbone(method);
  const microBatch =
    request.resume?.config.microBatch ??
    request.microBatch ??
    chooseMicroBatch(config.batch, config.size, config.width, taskNames(config).length, backend.maxActivationBytes, backbone, backend.name);
  // Gradient workers hold replicas of a network without batch statistics: SSMTL's U-Net.
  const replicable = method === 'ssmtl' && backbone === 'unet';
  const threads = replicable
    ? (request.threads ?? WorkerGradients.defaultWorkers(backend.name, availableParallelism(), config.size, config.width))
    : 1;
  const parallel =
    threads > 1
      ? new WorkerGradients(threads, {
          backend: backend.name,
          width: config.width,
          heads: headNames(config.ts),
          size: config.size,
          microBatch,
        })
      : null;
  let trainer: SsmtlTrainer;
  try {
    trainer = new SsmtlTrainer(source, { ...config, microBatch }, { seriesIds: request.seriesIds, parallel: parallel ?? undefined });
    if (request.resume) trainer.restore({ ...request.resume, config: { ...request.resume.config, epochs: config.epochs } });
  } catch (error) {
    await parallel?.dispose();
    throw error;
  }
  return {
    backend,
    microBatch,
    threads,
    heads: trainer.heads,
    plan: trainer.plan,
    stepsPerEpoch: trainer.stepsPerEpoch,
    resumedFrom: trainer.resumedFrom,
    run: (hooks) => trainer.run(hooks),
    weights: () => trainer.weights(),
    dispose: async () => {
      trainer.dispose();
      await parallel?.dispose();
    },
  };
}

/** Fine-tuning. */
export async function placeFinetuneInProcess(choice: BackendChoice, request: FinetuneRequest): Promise<PlacedFinetuner> {
  const backend = await loadBackend(choice);
  const microBatch = finetuneMicroBatch(request, backend.maxActivationBytes);
  const { net, trainer } = buildFinetuner(request, microBatch);
  return {
    backend,
    microBatch,
    stepsPerEpoch: trainer.stepsPerEpoch,
    run: (hooks) => trainer.run(hooks),
    weights: () => networkWeights(net),
    dispose: async () => {
      trainer.dispose();
      net.dispose();
    },
  };
}

/** Segmenting a series whose slices `source` reads. */
export async function placePredictInProcess(
  source: Pick<SliceSource, 'readSlice'>,
  choice: BackendChoice,
  request: PredictRequest,
): Promise<PlacedPredictor> {
  const backend = await loadBackend(choice);
  const { model, series } = request;
  const net = createSegmentationNet(model.network ?? 'unet', model.width, model.classes, model.seed);
  try {
    loadAll(net, request.weights, `model '${model.name}'`);
  } catch (error) {
    net.dispose();
    throw error;
  }
  return {
    backend,
    run: (onSlice) => predictSlices(net, model, series, (k) => source.readSlice(series.id, k), onSlice),
    dispose: async () => net.dispose(),
  };
}
