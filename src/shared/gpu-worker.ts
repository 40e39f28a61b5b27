import type { JobCommand, JobEvent, PretrainRunResult, SsmtlConfig } from './job.ts';
import type { FinetuneEvent, FinetuneRunResult, FinetuneRunSettings } from './segmentation.ts';

/**
 * Training on the GPU of a browser engine (Chromium's WebGPU) on this machine: the
 * protocol between the engine host and a page that offers its GPU. In Electron that page
 * is a hidden, sandboxed window; under `ssmtl serve` it is the open interface itself. The
 * page runs the isomorphic engine in a dedicated worker (engine/browser/training-worker.ts).
 * On the host, engine/node/placement/browser-gpu/ places runs there (BrowserGpuPool) and
 * holds each one (BrowserGpuRun).
 *
 *   page  ── registerGpuWorker(adapter) ─────────────► host   → { workerId }
 *   host  ── event { type: 'gpu-task', workerId, task } ─► page  (start, control)
 *   page  ── gpuWorkerDownload(jobId, offset, n) ───────► host   (the task's payload: the checkpoint a
 *            resumed pre-training starts from; a fine-tuning's examples and starting weights)
 *   worker fetches slices by URL (shared/pixel-urls.ts)
 *   page  ── gpuWorkerReport(workerId, jobId, report) ─► host   (progress, state, finished, failed)
 *   page  ── gpuWorkerUpload(workerId, jobId, part, bytes) ─► host (checkpoints and the final
 *            weights in the checkpoint byte layout, or a prediction, in parts; the call with the last part
 *            answers once the host has written the file, so a checkpoint the worker was
 *            told about is on disk)
 *
 * The return path, inside the host: the run's owner (pretrain-job, finetune-job or
 * predict-job, running in the host while the page trains) holds the run as a PlacedRun.
 *
 *   report 'event'    ─► BrowserGpuRun ─► owner's onEvent ─► job summary (progress, loss chart)
 *   last upload part  ─► BrowserGpuRun ─► owner's onCheckpoint ─► checkpoint file, model row
 *                        (then the upload call answers)
 *   report 'finished' ─► run() resolves ─► owner saves the weights (uploaded before) or the
 *                        prediction, and emits the job's end ('done'; 'started' and 'failed' are the owner's too)
 *   report 'failed', or the page gone ─► run() rejects ─► the job fails, its last checkpoint kept
 *
 * A page that goes away (closed tab, crashed window) releases its registration; its job
 * fails, keeping its last checkpoint: the same pre-training settings resume it, a
 * fine-tuning is resumed from the Fine-tune & Review screen; a segmentation stores nothing.
 */
export interface GpuAdapterSummary {
  /** e.g. "NVIDIA GeForce RTX 4090" or "google swiftshader" */
  label: string;
  /** a software rasterizer (SwiftShader, lavapipe, WARP), not a GPU */
  software: boolean;
}

/** What WebGPU tells of an adapter (GPUAdapter in a browser, Dawn's under Node). */
export interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}

export function describeAdapter(adapter: GpuAdapterLike): GpuAdapterSummary {
  const info = adapter.info ?? {};
  const text = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ');
  const software =
    Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter) ||
    /software|llvmpipe|lavapipe|swiftshader|warp|cpu/i.test(`${info.architecture ?? ''} ${info.device ?? ''} ${info.description ?? ''}`);
  return { label: info.description || text || 'unknown adapter', software };
}

export interface GpuPretrainTask {
  type: 'pretrain';
  jobId: string;
  config: SsmtlConfig;
  /** series to train on, as stored (the worker resizes them to config.size); positions: mm of each slice along the normal, when known */
  series: { id: string; slices: number; rows: number; cols: number; positions?: number[] | null }[];
  /** bytes of the checkpoint to continue from (gpuWorkerDownload); 0: a fresh run */
  payloadBytes: number;
  checkpointIntervalMs: number;
}

/**
 * Fine-tuning for segmentation. The payload (checkpoint byte layout) holds in its header
 * the label values, their pixel counts, the source of the backbone and, for a resumed run,
 * where it stood; its tensors are the backbone's weights ("backbone/<name>"), every
 * example ("example/<k>/image" and "example/<k>/target", size × size, targets as class
 * indices) and a resumed run's weights and Adam state ("resume/<name>").
 */
export interface GpuFinetuneTask {
  type: 'finetune';
  jobId: string;
  config: FinetuneRunSettings & { microBatch: number };
  payloadBytes: number;
  checkpointIntervalMs: number;
}

/**
 * Segmenting every slice of a series with a segmentation model. The payload holds the
 * model's weights (checkpoint layout; header: classes, size, width, seed); the worker
 * fetches the slices by URL and uploads the result as a 'prediction' (see
 * engine/segmentation/prediction-bytes.ts).
 */
export interface GpuPredictTask {
  type: 'predict';
  jobId: string;
  series: { id: string; slices: number; rows: number; cols: number };
  payloadBytes: number;
}

export type GpuStartTask = GpuPretrainTask | GpuFinetuneTask | GpuPredictTask;

export type GpuTask = GpuStartTask | { type: 'control'; jobId: string; command: JobCommand['type'] };

/**
 * Job events a worker forwards (the host emits 'started', 'done' and 'failed' itself):
 * pre-training's, fine-tuning's, and a prediction's slices done.
 */
export type GpuJobEvent =
  | Extract<JobEvent, { type: 'progress' | 'epoch' | 'checkpoint' | 'state' | 'log' }>
  | FinetuneEvent
  | { type: 'slices'; done: number; total: number };

export interface GpuPredictResult {
  status: 'done';
  seconds: number;
}

export type GpuReport =
  | { type: 'event'; event: GpuJobEvent }
  | { type: 'finished'; result: PretrainRunResult | FinetuneRunResult | GpuPredictResult }
  | { type: 'failed'; kind: 'nan' | 'internal'; message: string };

/** One part of an upload: `offset` into a file of `total` bytes. */
export interface GpuUploadPart {
  kind: 'checkpoint' | 'weights' | 'prediction';
  /** why a checkpoint was taken (weights: 'done') */
  reason: 'epoch' | 'interval' | 'pause' | 'cancel' | 'done';
  offset: number;
  total: number;
}

/** Parts are this large (and no larger): well under serve's WebSocket frame limit in base64. */
export const GPU_UPLOAD_PART_BYTES = 16 * 1024 * 1024;

/** Largest upload: Adam state and weights of the paper's U-Net (31 M parameters × 3 × 4 bytes) with room to spare. */
export const GPU_UPLOAD_MAX_BYTES = 2 * 1024 * 1024 * 1024;

/** Messages between the page and its dedicated worker (structured clone, buffers transferred). */
export type GpuWorkerInbound =
  | { type: 'start'; task: GpuStartTask; baseUrl: string; payload: Uint8Array | null }
  | { type: 'control'; command: JobCommand['type'] }
  | { type: 'uploaded'; id: number; error: string | null };

export type GpuWorkerOutbound =
  | { type: 'report'; report: GpuReport }
  | { type: 'upload'; id: number; kind: GpuUploadPart['kind']; reason: GpuUploadPart['reason']; bytes: Uint8Array };
