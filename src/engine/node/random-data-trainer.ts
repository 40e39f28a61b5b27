import { availableParallelism } from 'node:os';
import { chooseMicroBatch, type ActiveBackend } from '../backends/backend-names.ts';
import { InMemorySliceSource } from '../data/slice-source.ts';
import { Random } from '../random.ts';
import { SsmtlTrainer, taskNames } from '../train/ssmtl-trainer.ts';
import { PAPER_MOCO, type Backbone, type PretrainMethod } from '../../shared/job.ts';
import { WorkerGradients } from './parallel/worker-gradients.ts';

/** A pre-training network and step to time, on random data (`ssmtl bench`, the Pre-train form's estimate). */
export interface RandomDataSetup {
  method: PretrainMethod;
  backbone: Backbone;
  t: number;
  size: number;
  width: number;
  batch: number;
  /** default: what a run picks for this backend's memory */
  microBatch?: number;
  /** gradient worker threads; default: what a run picks (SSMTL's U-Net only) */
  threads?: number;
}

export interface RandomDataTrainer {
  trainer: SsmtlTrainer;
  microBatch: number;
  threads: number;
}

/** Whether gradient worker threads can carry this network (they replicate networks without batch statistics only). */
export function replicable(setup: Pick<RandomDataSetup, 'method' | 'backbone'>): boolean {
  return setup.method === 'ssmtl' && setup.backbone === 'unet';
}

/**
 * Runs `use` with a trainer whose one series holds exactly `batch` anchors of random
 * values (SSMTL+: each with a partner; MoCo v2: every slice), so each step is one full
 * batch; disposes of the trainer and its worker threads after.
 */
export async function withRandomDataTrainer<T>(
  setup: RandomDataSetup,
  backend: ActiveBackend,
  use: (run: RandomDataTrainer) => Promise<T>,
): Promise<T> {
  const { method, backbone, t, size, width, batch } = setup;
  const config = {
    method,
    backbone,
    ts: [t],
    size,
    width,
    batch,
    lr: 1e-3,
    seed: 0,
    epochs: 1_000_000,
    ...(method === 'mocov2' ? { moco: PAPER_MOCO } : {}),
  };
  const tasks = taskNames(config);
  const microBatch = setup.microBatch ?? chooseMicroBatch(batch, size, width, tasks.length, backend.maxActivationBytes, backbone);
  const slices = method === 'mocov2' ? batch : batch + 2 * t + (method === 'ssmtl+' ? 1 : 0);
  const random = new Random(1234);
  const volume = new Float32Array(slices * size * size);
  for (let i = 0; i < volume.length; i++) volume[i] = random.normal();
  const source = new InMemorySliceSource().add('random', slices, size, size, volume);
  const threads =
    setup.threads ?? (replicable(setup) ? WorkerGradients.defaultWorkers(backend.name, availableParallelism(), size, width) : 1);
  const parallel = threads > 1 ? new WorkerGradients(threads, { backend: backend.name, width, heads: tasks, size, microBatch }) : undefined;
  const trainer = new SsmtlTrainer(source, { ...config, microBatch }, { parallel });
  try {
    return await use({ trainer, microBatch, threads });
  } finally {
    trainer.dispose();
    await parallel?.dispose();
  }
}
