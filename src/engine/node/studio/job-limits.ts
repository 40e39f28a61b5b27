import type { JobKind } from '../../../shared/api.ts';
import type { Backbone } from '../../../shared/job.ts';
import {
  chooseMicroBatch,
  resnetFcnActivationBytesPerImage,
  unetActivationBytesPerImage,
  WASM_ACTIVATION_BUDGET,
} from '../../backends/backend-names.ts';
import type { StoredModel } from '../workspace/model-state.ts';

/**
 * How many jobs of the studio run at once, and the free memory each needs to start: the
 * one place to change them (job-queue.ts obeys them; StudioServiceOptions.jobLimits
 * overrides them for one session). Jobs share a lane when they compete for the same
 * thing: pre-training and fine-tuning both fill the CPU or GPU for hours.
 */
export type JobLane = 'training' | 'predict' | 'import';

export const LANE_OF: Record<JobKind, JobLane> = { pretrain: 'training', finetune: 'training', predict: 'predict', import: 'import' };

/** What a job's memory depends on: the network it trains or runs, and for predict the series it segments. */
export interface JobShape {
  size: number;
  width: number;
  /** images per training step (the engine splits it into micro-batches) */
  batch: number;
  backbone: Backbone;
  /** outputs the network is trained for: SSMTL's slice before and after, a segmentation's one */
  heads: number;
  /** predict: rows × cols × slices of the series */
  voxels?: number;
}

export interface JobLimits {
  /** jobs of a lane that run at the same time */
  running: Record<JobLane, number>;
  /** bytes of free memory a job needs before it starts */
  memoryNeed(kind: JobKind, shape?: JobShape): number;
}

const MB = 2 ** 20;

/**
 * Peak resident memory of each job process, measured by `ssmtl bench --jobs` on
 * 2026-12-01 (bench/README.md, "Each job's time and peak memory at the paper's sizes"):
 * backend wasm, the pre-training at 256 px, width 64, batch 16 on one 64-slice scan, the
 * fine-tuning from it over 16 annotated slices, predict of a 64-slice 512 × 512 scan with
 * that model, the import of two such scans. REFERENCE_SHAPE is those settings.
 */
export const MEASURED_PEAK_MB: Record<JobKind, number> = { pretrain: 2828, finetune: 2950, predict: 1750, import: 146 };
export const REFERENCE_SHAPE: Record<Exclude<JobKind, 'import'>, JobShape> = {
  pretrain: { size: 256, width: 64, batch: 16, backbone: 'unet', heads: 2 },
  finetune: { size: 256, width: 64, batch: 16, backbone: 'unet', heads: 1 },
  predict: { size: 256, width: 64, batch: 1, backbone: 'unet', heads: 1, voxels: 64 * 512 * 512 },
};

/**
 * The need of a job of another shape, from the measured peak of its kind: what a job
 * process holds with no network (the import's peak: Node, the catalogue, the decoders)
 * stays, the rest scales with the network's activations for one micro-batch, as the
 * engine estimates and splits them (backend-names.ts; on wasm, the default backend: at
 * the paper's sizes a step holds one image's activations, about 1 GB of the 2.8 GB).
 * Predict also holds its result for the whole series (labels, 2 bytes a voxel, and the
 * slices it reads): counted at 4 bytes a voxel more or less than the reference scan. The scaling is the engine's model, not a measurement: only the
 * reference figures are measured. Imports read slice by slice, their memory is flat.
 */
export function measuredMemoryNeed(kind: JobKind, shape?: JobShape): number {
  const peak = MEASURED_PEAK_MB[kind] * MB;
  if (kind === 'import' || !shape) return peak;
  const reference = REFERENCE_SHAPE[kind];
  const floor = MEASURED_PEAK_MB.import * MB;
  const network = (peak - floor) * (activationBytes(shape) / activationBytes(reference));
  const series = kind === 'predict' ? 4 * ((shape.voxels ?? 0) - (reference.voxels ?? 0)) : 0;
  return Math.round(Math.max(floor, floor + network + series));
}

/** Activation bytes of one micro-batch of this network on the wasm backend. */
function activationBytes({ size, width, batch, backbone, heads }: JobShape): number {
  const perImage =
    backbone === 'unet' ? unetActivationBytesPerImage(size, width, heads) : resnetFcnActivationBytesPerImage(size, width, heads);
  return perImage * chooseMicroBatch(batch, size, width, heads, WASM_ACTIVATION_BUDGET, backbone, 'wasm');
}

/** The shape of a job that trains from or runs a stored model (its size, width and network). */
export function modelShape(model: StoredModel, use: Pick<JobShape, 'batch' | 'heads' | 'voxels'>): JobShape {
  const network = model.kind === 'pretrained' ? (model.meta.backbone ?? model.meta.network) : model.meta.network;
  return { size: model.meta.size, width: model.meta.width, backbone: network === 'resnet50-fcn' ? 'resnet50-fcn' : 'unet', ...use };
}

export const DEFAULT_RUNNING: JobLimits['running'] = { training: 1, predict: 2, import: 1 };

/** The defaults, with a session's overrides (a fixed need per kind replaces the measured one). */
export function jobLimits(overrides?: { running?: Partial<JobLimits['running']>; memory?: Partial<Record<JobKind, number>> }): JobLimits {
  const fixed = overrides?.memory ?? {};
  return {
    running: { ...DEFAULT_RUNNING, ...overrides?.running },
    memoryNeed: (kind, shape) => fixed[kind] ?? measuredMemoryNeed(kind, shape),
  };
}
