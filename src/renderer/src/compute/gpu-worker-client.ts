import type { StudioApi } from '../../../shared/api.ts';
import {
  GPU_UPLOAD_PART_BYTES,
  describeAdapter,
  type GpuAdapterLike,
  type GpuAdapterSummary,
  type GpuReport,
  type GpuStartTask,
  type GpuTask,
  type GpuWorkerOutbound,
} from '../../../shared/gpu-worker.ts';

/**
 * Offers this page's WebGPU adapter to the engine for training (shared/gpu-worker.ts)
 * and runs the tasks it is given in a dedicated worker (engine/browser/training-worker.ts),
 * relaying its reports and uploads. Electron runs this in a hidden window; under
 * `ssmtl serve` the open interface runs it, so closing the tab stops such a run at its
 * last checkpoint.
 */
export interface GpuOffer {
  adapter: GpuAdapterSummary;
  /** call after the transport reconnected: the engine forgot this page when it dropped */
  reconnected(): Promise<void>;
}

/** What a worker does, as its name in the browser's task manager says. */
const WORK = { pretrain: 'pre-training', finetune: 'fine-tuning', predict: 'segmentation' } as const;

interface NavigatorGpu {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<GpuAdapterLike | null>;
}

/** Why this page lends no GPU, in words for the compute badge (the usual fix included). */
export interface NoGpu {
  reason: string;
}

export async function offerGpu(api: StudioApi): Promise<GpuOffer | NoGpu> {
  const gpu = (navigator as unknown as { gpu?: NavigatorGpu }).gpu;
  if (!gpu)
    return {
      reason:
        'this browser has WebGPU turned off (on Linux, Chrome and Chromium need --enable-unsafe-webgpu --enable-features=Vulkan); the engine trains without it',
    };
  let adapter: GpuAdapterSummary;
  try {
    const found = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!found) return { reason: 'WebGPU found no usable GPU adapter (a missing or blocklisted driver); the engine trains without it' };
    adapter = describeAdapter(found);
  } catch (error) {
    return {
      reason: `WebGPU failed to open an adapter (${error instanceof Error ? error.message : String(error)}); the engine trains without it`,
    };
  }
  let workerId = (await api.registerGpuWorker(adapter)).workerId;
  const running = new Map<string, Worker>();

  api.onEvent((event) => {
    if (event.type === 'gpu-task' && event.workerId === workerId) void handle(workerId, event.task);
  });
  // The tab closes: tell the engine now rather than when the connection times out.
  window.addEventListener('pagehide', () => void api.releaseGpuWorker(workerId).catch(() => {}));

  async function handle(owner: string, task: GpuTask): Promise<void> {
    if (task.type === 'control') {
      running.get(task.jobId)?.postMessage({ type: 'control', command: task.command });
      return;
    }
    const send = (report: GpuReport) => api.gpuWorkerReport(owner, task.jobId, report).catch(() => stop(task.jobId));
    try {
      const payload = task.payloadBytes > 0 ? await download(owner, task) : null;
      const worker = new Worker(new URL('../../../engine/browser/training-worker.ts', import.meta.url), {
        type: 'module',
        name: `SSMTL ${WORK[task.type]} (WebGPU)`,
      });
      running.set(task.jobId, worker);
      worker.onmessage = ({ data }: MessageEvent<GpuWorkerOutbound>) => {
        if (data.type === 'report') {
          void send(data.report);
          if (data.report.type !== 'event') stop(task.jobId);
          return;
        }
        upload(owner, task.jobId, data).then(
          () => worker.postMessage({ type: 'uploaded', id: data.id, error: null }),
          (error: unknown) =>
            worker.postMessage({ type: 'uploaded', id: data.id, error: error instanceof Error ? error.message : String(error) }),
        );
      };
      worker.onerror = (event) => {
        void send({ type: 'failed', kind: 'internal', message: `the training worker crashed: ${event.message || 'no message'}` });
        stop(task.jobId);
      };
      worker.postMessage({ type: 'start', task, baseUrl: document.baseURI, payload }, payload ? [payload.buffer as ArrayBuffer] : []);
    } catch (error) {
      void send({ type: 'failed', kind: 'internal', message: error instanceof Error ? error.message : String(error) });
      stop(task.jobId);
    }
  }

  function stop(jobId: string): void {
    running.get(jobId)?.terminate();
    running.delete(jobId);
  }

  async function download(owner: string, task: GpuStartTask): Promise<Uint8Array> {
    const bytes = new Uint8Array(task.payloadBytes);
    for (let offset = 0; offset < bytes.length; offset += GPU_UPLOAD_PART_BYTES) {
      bytes.set(await api.gpuWorkerDownload(owner, task.jobId, offset, Math.min(GPU_UPLOAD_PART_BYTES, bytes.length - offset)), offset);
    }
    return bytes;
  }

  async function upload(owner: string, jobId: string, data: Extract<GpuWorkerOutbound, { type: 'upload' }>): Promise<void> {
    const total = data.bytes.length;
    for (let offset = 0; offset < total; offset += GPU_UPLOAD_PART_BYTES) {
      // A copy, not a view: Electron IPC would clone the whole underlying buffer for each part.
      const part = data.bytes.slice(offset, Math.min(total, offset + GPU_UPLOAD_PART_BYTES));
      await api.gpuWorkerUpload(owner, jobId, { kind: data.kind, reason: data.reason, offset, total }, part);
    }
  }

  return {
    adapter,
    async reconnected() {
      // Runs of the old registration were failed by the engine (their checkpoints are kept).
      for (const jobId of [...running.keys()]) stop(jobId);
      workerId = (await api.registerGpuWorker(adapter)).workerId;
    },
  };
}
