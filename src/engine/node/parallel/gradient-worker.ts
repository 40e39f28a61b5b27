import * as tf from '@tensorflow/tfjs-core';
import { parentPort, workerData } from 'node:worker_threads';
import type { BackendName } from '../../../shared/job.ts';
import { UNet } from '../../networks/unet.ts';
import { batchGradients } from '../../train/batch-gradients.ts';
import { loadBackend } from '../load-backend.ts';

/**
 * A data-parallel gradient worker (one thread, its own tfjs + wasm instance): holds a
 * replica of the U-Net, takes the weights the trainer sends after each update, and
 * returns the gradients of its share of each batch. See worker-gradients.ts.
 */
export interface GradientWorkerData {
  backend: BackendName;
  width: number;
  heads: string[];
  size: number;
  microBatch: number;
}

type Message =
  | { type: 'weights'; flat: Float32Array }
  | { type: 'compute'; id: number; x: Float32Array; y: Float32Array; n: number; weight: number }
  | { type: 'exit' };

const data = workerData as GradientWorkerData;
const port = parentPort!;
let net: UNet | null = null;

async function main(): Promise<void> {
  await loadBackend(data.backend);
  // The seed does not matter: the trainer sends its weights before the first step.
  net = new UNet({ width: data.width, heads: data.heads.length }, 0, data.heads);
  port.postMessage({ type: 'ready' });
}

let queue = Promise.resolve();
port.on('message', (message: Message) => {
  queue = queue
    .then(() => handle(message))
    .catch((error: unknown) => {
      port.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    });
});

async function handle(message: Message): Promise<void> {
  if (!net) throw new Error('gradient worker not ready');
  if (message.type === 'exit') {
    net.dispose();
    process.exit(0);
  }
  if (message.type === 'weights') {
    let offset = 0;
    tf.tidy(() => {
      for (const v of net!.params.variables) {
        v.assign(tf.tensor(message.flat.subarray(offset, offset + v.size), v.shape, 'float32'));
        offset += v.size;
      }
    });
    return;
  }
  const { grads, perHead } = batchGradients(net, message.x, message.y, message.n, data.size, message.weight, data.microBatch);
  const flat = new Float32Array(net.params.count);
  let offset = 0;
  for (const g of grads) {
    flat.set((await g.data()) as Float32Array, offset);
    offset += g.size;
  }
  const losses = Float64Array.from(await perHead.data());
  tf.dispose([...grads, perHead]);
  port.postMessage({ type: 'grads', id: message.id, flat, perHead: losses }, [flat.buffer as ArrayBuffer, losses.buffer as ArrayBuffer]);
}

await main();
