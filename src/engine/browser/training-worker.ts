/**
 * The dedicated worker a page starts to train and segment on Chromium's WebGPU: the same
 * code the job processes run (gpu-task.ts → engine/train, engine/segmentation), fed with
 * slices fetched by URL or with the task's payload. The
 * page (renderer/src/compute/gpu-worker-client.ts) relays its reports and uploads to the
 * engine host, which owns the run: checkpoints and weights go there, never into the
 * browser's storage. Protocol: shared/gpu-worker.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import type { GpuReport, GpuStartTask, GpuWorkerInbound, GpuWorkerOutbound } from '../../shared/gpu-worker.ts';
import { sliceUrl } from '../../shared/pixel-urls.ts';
import { JobControl } from '../train/control.ts';
import { runFinetuneTask, runPredictTask, runPretrainTask, type GpuTaskIo } from './gpu-task.ts';

interface WorkerScope {
  onmessage: ((event: { data: GpuWorkerInbound }) => void) | null;
  postMessage(message: GpuWorkerOutbound, transfer?: ArrayBuffer[]): void;
}
// globalThis is the worker's scope (typed here without the WebWorker lib).
const scope = globalThis as unknown as WorkerScope;

const control = new JobControl();
const uploads = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
let nextUpload = 1;
let started = false;

scope.onmessage = ({ data }) => {
  switch (data.type) {
    case 'start':
      if (!started) {
        started = true;
        void start(data.task, data.baseUrl, data.payload);
      }
      break;
    case 'control':
      control[data.command]();
      break;
    case 'uploaded': {
      const upload = uploads.get(data.id);
      uploads.delete(data.id);
      if (data.error === null) upload?.resolve();
      else upload?.reject(new Error(data.error));
      break;
    }
  }
};

function report(report: GpuReport): void {
  scope.postMessage({ type: 'report', report });
}

async function start(task: GpuStartTask, baseUrl: string, payload: Uint8Array | null): Promise<void> {
  try {
    if (!(await tf.setBackend('webgpu'))) throw new Error('the WebGPU backend did not start in this browser');
    await tf.ready();
  } catch (error) {
    report({ type: 'failed', kind: 'internal', message: `WebGPU: ${error instanceof Error ? error.message : String(error)}` });
    return;
  }
  const io: GpuTaskIo = {
    control,
    report,
    upload: (kind, reason, bytes) =>
      new Promise((resolve, reject) => {
        const id = nextUpload++;
        uploads.set(id, { resolve, reject });
        scope.postMessage({ type: 'upload', id, kind, reason, bytes }, [bytes.buffer as ArrayBuffer]);
      }),
    fetchSlice: async (seriesId, index) => {
      const response = await fetch(new URL(sliceUrl(seriesId, index), baseUrl), { credentials: 'same-origin' });
      if (!response.ok) throw new Error(`slice ${index} of series ${seriesId}: the engine answered ${response.status}`);
      return new Float32Array(await response.arrayBuffer());
    },
  };
  if (task.type === 'pretrain') await runPretrainTask(task, payload, io);
  else if (!payload) report({ type: 'failed', kind: 'internal', message: `the ${task.type} task came without its payload` });
  else if (task.type === 'finetune') await runFinetuneTask(task, payload, io);
  else await runPredictTask(task, payload, io);
}
