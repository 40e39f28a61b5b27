import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../../shared/errors.ts';
import { BackendUnavailableError, chooseMicroBatch, isBackendChoice } from '../../engine/backends/backend-names.ts';
import { InMemorySliceSource } from '../../engine/data/slice-source.ts';
import { UNet } from '../../engine/networks/unet.ts';
import { loadBackend } from '../../engine/node/load-backend.ts';
import { WorkerGradients } from '../../engine/node/parallel/worker-gradients.ts';
import { availableParallelism } from 'node:os';
import { Random } from '../../engine/random.ts';
import { SsmtlTrainer } from '../../engine/train/ssmtl-trainer.ts';
import type { Command } from '../command.ts';
import { optionalNumber, optionalString } from '../options.ts';

/**
 * Times SSMTL training steps on random data after one warm-up step (CONTRACT.md `bench`).
 * Runs in this process: the number is the engine's speed, with nothing else in the way.
 */
export const benchCommand: Command = {
  name: 'bench',
  summary: 'Time pre-training steps on random data (after one warm-up step).',
  usage:
    'bench [--method ssmtl] [--size 256] [--width 64] [--batch 16] [--steps 5] [--backend auto] [--t 5] [--micro-batch N] [--threads N] [--profile] [--json]',
  options: {
    method: { type: 'string' },
    size: { type: 'string' },
    width: { type: 'string' },
    batch: { type: 'string' },
    steps: { type: 'string' },
    backend: { type: 'string' },
    t: { type: 'string' },
    'micro-batch': { type: 'string' },
    threads: { type: 'string' },
    profile: { type: 'boolean' },
  },
  async run(context) {
    const method = optionalString(context, 'method') ?? 'ssmtl';
    if (method !== 'ssmtl') {
      if (method === 'ssmtl+' || method === 'mocov2')
        throw new InputError(`--method ${method} is not yet available in this version (only ssmtl)`);
      throw new InputError(`--method must be ssmtl, ssmtl+ or mocov2, got '${method}'`);
    }
    const size = optionalNumber(context, 'size', 256, { integer: true, min: 16, max: 2048 });
    try {
      UNet.checkSize(size);
    } catch (error) {
      throw new InputError(`--size: ${(error as Error).message}`);
    }
    const width = optionalNumber(context, 'width', 64, { integer: true, min: 1, max: 512 });
    const batch = optionalNumber(context, 'batch', 16, { integer: true, min: 1, max: 4096 });
    const steps = optionalNumber(context, 'steps', 5, { integer: true, min: 1, max: 100_000 });
    const t = optionalNumber(context, 't', 5, { integer: true, min: 1, max: 1000 });
    const choice = optionalString(context, 'backend') ?? 'auto';
    if (!isBackendChoice(choice)) throw new InputError(`--backend must be auto, tensorflow, webgpu, wasm or cpu, got '${choice}'`);
    let backend;
    try {
      backend = await loadBackend(choice);
    } catch (error) {
      if (error instanceof BackendUnavailableError) throw new InputError(`--backend ${choice}: ${error.message}`);
      throw error;
    }
    for (const note of backend.notes) context.log(`note: ${note}`);
    const microBatch = optionalNumber(context, 'micro-batch', chooseMicroBatch(batch, size, width, 2, backend.maxActivationBytes), {
      integer: true,
      min: 1,
      max: batch,
    });

    // One series with exactly `batch` anchors, so each step is one full batch.
    const slices = batch + 2 * t;
    const random = new Random(1234);
    const volume = new Float32Array(slices * size * size);
    for (let i = 0; i < volume.length; i++) volume[i] = random.normal();
    const source = new InMemorySliceSource().add('bench', slices, size, size, volume);
    const threads = optionalNumber(context, 'threads', WorkerGradients.defaultWorkers(backend.name, availableParallelism(), size, width), {
      integer: true,
      min: 1,
      max: 64,
    });
    const parallel =
      threads > 1 ? new WorkerGradients(threads, { backend: backend.name, width, heads: ['t-', 't+'], size, microBatch }) : undefined;
    const trainer = new SsmtlTrainer(
      source,
      { ts: [t], size, width, batch, lr: 1e-3, seed: 0, epochs: 1_000_000, microBatch },
      { parallel },
    );
    try {
      context.log(
        `bench: ${backend.description}${threads > 1 ? ` × ${threads} worker threads` : ''}, size ${size}, width ${width}, batch ${batch}${microBatch < batch ? ` (micro-batch ${microBatch})` : ''}, ${trainer.net.params.count} parameters`,
      );
      await trainer.run({ maxSteps: 1 });
      const t0 = performance.now();
      let kernels: { name: string; ms: number }[] | undefined;
      if (context.values.profile) {
        const profile = await tf.profile(async () => {
          await trainer.run({ maxSteps: steps });
        });
        const byName = new Map<string, number>();
        for (const k of profile.kernels) byName.set(k.name, (byName.get(k.name) ?? 0) + Number(k.kernelTimeMs));
        kernels = [...byName.entries()]
          .map(([name, ms]) => ({ name, ms: Math.round(ms / steps) }))
          .sort((a, b) => b.ms - a.ms)
          .slice(0, 12);
      } else {
        for (let i = 0; i < steps; i++) {
          await trainer.run({ maxSteps: 1 });
          context.progress.update({ stage: 'bench', done: i + 1, total: steps });
        }
      }
      const msPerStep = (performance.now() - t0) / steps;
      const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
      const json = {
        backend: backend.name,
        method,
        size,
        width,
        batch,
        msPerStep: Math.round(msPerStep * 10) / 10,
        imagesPerSecond: Math.round((batch * 1000 * 1000) / msPerStep) / 1000,
        peakRssMb,
        backendDescription: backend.description,
        microBatch,
        threads,
        steps,
        parameters: trainer.net.params.count,
        ...(kernels ? { kernelMsPerStep: kernels } : {}),
      };
      const text =
        `${backend.description}${threads > 1 ? ` × ${threads} threads` : ''}: ${json.msPerStep} ms/step, ${json.imagesPerSecond} images/s, peak RSS ${peakRssMb} MB` +
        (kernels ? `\n${kernels.map((k) => `  ${k.name}: ${k.ms} ms`).join('\n')}` : '');
      return { json, text };
    } finally {
      trainer.dispose();
      await parallel?.dispose();
    }
  },
};
