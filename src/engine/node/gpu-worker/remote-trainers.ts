import { InputError } from '../../../shared/errors.ts';
import type { FinetuneEvent, FinetuneProgress, FinetuneRunResult } from '../../segmentation/finetune-trainer.ts';
import type { PlacedFinetuner } from '../../segmentation/placed-finetuner.ts';
import type { CheckpointHeader } from '../../train/checkpoint-codec.ts';
import type { PlacedTrainer } from '../../train/placed-trainer.ts';
import {
  snapshotMismatch,
  type RunHooks,
  type RunResult,
  type SsmtlConfig,
  type TensorRecord,
  type TrainerSnapshot,
} from '../../train/ssmtl-trainer.ts';
import type { RemoteRun } from './remote-run.ts';

/**
 * A run in a page's GPU worker as its owner sees it: pre-training as a PlacedTrainer,
 * fine-tuning as a PlacedFinetuner. What the worker sends back is checked against the
 * task before it reaches a checkpoint file.
 */
export type RemoteDescription = Pick<PlacedTrainer, 'backend' | 'heads' | 'plan' | 'stepsPerEpoch' | 'resumedFrom'>;

export function remotePretrainer(run: RemoteRun, config: SsmtlConfig, described: RemoteDescription): PlacedTrainer {
  return {
    ...described,
    microBatch: config.microBatch,
    threads: 1,
    run: async (hooks: RunHooks) =>
      (await run.start({
        control: hooks.control,
        onEvent: (event) => hooks.onEvent?.(event as Parameters<NonNullable<RunHooks['onEvent']>>[0]),
        onCheckpoint: async (header, tensors, reason) => hooks.onCheckpoint?.(pretrainSnapshot(header, tensors, config), reason),
      })) as RunResult,
    weights: async () => run.weights(),
    dispose: async () => run.dispose(),
  };
}

export function remoteFinetuner(
  run: RemoteRun,
  described: Pick<PlacedFinetuner, 'backend' | 'microBatch' | 'stepsPerEpoch'>,
): PlacedFinetuner {
  return {
    ...described,
    run: async (hooks) =>
      (await run.start({
        control: hooks.control,
        onEvent: (event) => hooks.onEvent?.(event as FinetuneEvent),
        onCheckpoint: async (header, tensors) => {
          const { progress, adamStep } = header as unknown as { progress?: FinetuneProgress; adamStep?: unknown };
          if (!progress || !Number.isInteger(progress.epoch) || !Number.isInteger(adamStep))
            throw new InputError("the GPU worker's checkpoint does not belong to this run");
          await hooks.onCheckpoint?.({ progress, adamStep: adamStep as number, tensors });
        },
      })) as FinetuneRunResult,
    weights: async () => run.weights(),
    dispose: async () => run.dispose(),
  };
}

function pretrainSnapshot(header: CheckpointHeader, tensors: TensorRecord[], expected: SsmtlConfig): TrainerSnapshot {
  const { tensors: _index, ...rest } = header;
  const snapshot = { ...rest, tensors } as unknown as TrainerSnapshot;
  const same = Array.isArray(snapshot.config?.ts) && snapshotMismatch(snapshot.config, expected).length === 0;
  const counters = [snapshot.epoch, snapshot.step, snapshot.globalStep, snapshot.adamStep].every((n) => Number.isInteger(n) && n >= 0);
  if (snapshot.version !== 1 || !same || !counters || !Array.isArray(snapshot.perEpoch) || !Array.isArray(snapshot.perEpochHeads)) {
    throw new InputError("the GPU worker's checkpoint does not belong to this run");
  }
  return snapshot;
}
