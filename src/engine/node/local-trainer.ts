import { availableParallelism } from 'node:os';
import { defaultBackbone, type BackendChoice } from '../../shared/job.ts';
import { chooseMicroBatch } from '../backends/backend-names.ts';
import { headNames } from '../data/sampler.ts';
import type { SliceSource } from '../data/slice-source.ts';
import type { PlacedTrainer, PlacementRequest } from '../train/placed-trainer.ts';
import { SsmtlTrainer, taskNames } from '../train/ssmtl-trainer.ts';
import { loadBackend } from './load-backend.ts';
import { WorkerGradients } from './parallel/worker-gradients.ts';

/**
 * Places a pre-training run in this process: the tfjs backend `choice` resolves to
 * (load-backend.ts), and on the CPU backends data-parallel gradient worker threads on
 * the idle cores.
 */
export async function placeLocally(source: SliceSource, choice: BackendChoice, request: PlacementRequest): Promise<PlacedTrainer> {
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
