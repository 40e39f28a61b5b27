import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../../shared/errors.ts';
import { BackendUnavailableError } from '../../engine/backends/backend-names.ts';
import { checkNetworkSize } from '../../engine/networks/create-network.ts';
import { loadBackend } from '../../engine/node/load-backend.ts';
import { benchJobs, type JobMeasure } from '../../engine/node/bench/jobs-bench.ts';
import { replicable, withRandomDataTrainer, type RandomDataSetup } from '../../engine/node/random-data-trainer.ts';
import { BACKBONES, defaultBackbone, PRETRAIN_METHODS, type Backbone, type PretrainMethod } from '../../shared/job.ts';
import { backboneProblem } from '../../shared/pretrain-methods.ts';
import type { Command, CommandContext } from '../command.ts';
import { backendChoice, optionalNumber, optionalString } from '../options.ts';

/**
 * Times pre-training steps of a method (SSMTL, SSMTL+, MoCo v2) on random data after one
 * warm-up step (CONTRACT.md `bench`). Runs in this process: the number is the engine's
 * speed, with nothing else in the way. `--jobs` instead runs the four job processes
 * (import, pre-train, fine-tune, predict) at the paper's sizes and reports each one's
 * time and peak memory.
 */
export const benchCommand: Command = {
  name: 'bench',
  summary: 'Time pre-training steps on random data (after one warm-up step).',
  usage:
    'bench [--method ssmtl|ssmtl+|mocov2] [--backbone unet|resnet50-fcn] [--size 256] [--width 64] [--batch 16] [--steps 5] [--backend auto] [--t 5] [--micro-batch N] [--threads N] [--profile] [--json]\n' +
    '       bench --jobs [--slices 64] [--image-size 512] [--size 256] [--width 64] [--batch 16] [--backend auto] [--json]',
  options: {
    method: { type: 'string' },
    backbone: { type: 'string' },
    size: { type: 'string' },
    width: { type: 'string' },
    batch: { type: 'string' },
    steps: { type: 'string' },
    backend: { type: 'string' },
    t: { type: 'string' },
    'micro-batch': { type: 'string' },
    threads: { type: 'string' },
    profile: { type: 'boolean' },
    jobs: { type: 'boolean' },
    slices: { type: 'string' },
    'image-size': { type: 'string' },
  },
  async run(context) {
    if (context.values.jobs) return runJobsBench(context);
    const method = optionalString(context, 'method') ?? 'ssmtl';
    if (!(PRETRAIN_METHODS as readonly string[]).includes(method))
      throw new InputError(`--method must be ${PRETRAIN_METHODS.join(', ')}, got '${method}'`);
    const backbone = optionalString(context, 'backbone') ?? defaultBackbone(method as PretrainMethod);
    if (!(BACKBONES as readonly string[]).includes(backbone))
      throw new InputError(`--backbone must be ${BACKBONES.join(' or ')}, got '${backbone}'`);
    const problem = backboneProblem(method as PretrainMethod, backbone as Backbone);
    if (problem) throw new InputError(`--backbone ${backbone}: ${problem}`);
    const size = optionalNumber(context, 'size', 256, { integer: true, min: 16, max: 2048 });
    try {
      checkNetworkSize(backbone as Backbone, size);
    } catch (error) {
      throw new InputError(`--size: ${(error as Error).message}`);
    }
    const width = optionalNumber(context, 'width', 64, { integer: true, min: 1, max: 512 });
    const batch = optionalNumber(context, 'batch', 16, { integer: true, min: 1, max: 4096 });
    const steps = optionalNumber(context, 'steps', 5, { integer: true, min: 1, max: 100_000 });
    const t = optionalNumber(context, 't', 5, { integer: true, min: 1, max: 1000 });
    const choice = backendChoice(context);
    let backend;
    try {
      backend = await loadBackend(choice);
    } catch (error) {
      if (error instanceof BackendUnavailableError) throw new InputError(`--backend ${choice}: ${error.message}`);
      throw error;
    }
    for (const note of backend.notes) context.log(`note: ${note}`);
    const micro = context.values['micro-batch'];
    const setup: RandomDataSetup = { method: method as PretrainMethod, backbone: backbone as Backbone, t, size, width, batch };
    if (micro !== undefined) setup.microBatch = optionalNumber(context, 'micro-batch', batch, { integer: true, min: 1, max: batch });
    if (context.values.threads !== undefined)
      setup.threads = optionalNumber(context, 'threads', 1, { integer: true, min: 1, max: replicable(setup) ? 64 : 1 });
    return withRandomDataTrainer(setup, backend, async ({ trainer, microBatch, threads }) => {
      context.log(
        `bench: ${method} on ${backbone}, ${backend.description}${threads > 1 ? ` × ${threads} worker threads` : ''}, size ${size}, width ${width}, batch ${batch}${microBatch < batch ? ` (micro-batch ${microBatch})` : ''}, ${trainer.parameterCount} parameters`,
      );
      await trainer.run({ maxSteps: 1 });
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
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
      // CPU time of the whole process (worker threads included): on a machine shared with
      // other work it counts this run's work, not its waits for a core.
      const cpu = process.cpuUsage(cpu0);
      const cpuMsPerStep = (cpu.user + cpu.system) / 1000 / steps;
      const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
      const json = {
        backend: backend.name,
        method,
        backbone,
        size,
        width,
        batch,
        msPerStep: Math.round(msPerStep * 10) / 10,
        cpuMsPerStep: Math.round(cpuMsPerStep * 10) / 10,
        imagesPerSecond: Math.round((batch * 1000 * 1000) / msPerStep) / 1000,
        peakRssMb,
        backendDescription: backend.description,
        microBatch,
        threads,
        steps,
        parameters: trainer.parameterCount,
        ...(kernels ? { kernelMsPerStep: kernels } : {}),
      };
      const text =
        `${backend.description}${threads > 1 ? ` × ${threads} threads` : ''}: ${json.msPerStep} ms/step, ${json.imagesPerSecond} images/s, peak RSS ${peakRssMb} MB` +
        (kernels ? `\n${kernels.map((k) => `  ${k.name}: ${k.ms} ms`).join('\n')}` : '');
      return { json, text };
    });
  },
};

/** `bench --jobs`: time and peak resident memory of each job process at the paper's sizes. */
async function runJobsBench(context: CommandContext) {
  const backend = backendChoice(context);
  const options = {
    slices: optionalNumber(context, 'slices', 64, { integer: true, min: 8, max: 5000 }),
    imageSize: optionalNumber(context, 'image-size', 512, { integer: true, min: 32, max: 1024 }),
    size: optionalNumber(context, 'size', 256, { integer: true, min: 16, max: 1024 }),
    width: optionalNumber(context, 'width', 64, { integer: true, min: 1, max: 512 }),
    batch: optionalNumber(context, 'batch', 16, { integer: true, min: 1, max: 256 }),
    backend,
  };
  try {
    checkNetworkSize('unet', options.size);
  } catch (error) {
    throw new InputError(`--size: ${(error as Error).message}`);
  }
  const jobs = await benchJobs({ ...options, onProgress: (p) => context.progress.update(p) });
  const row = (m: JobMeasure) => `| ${m.job} | ${m.seconds.toFixed(1)} | ${m.cpuSeconds.toFixed(1)} | ${m.peakRssMb} | ${m.work} |`;
  const text = [
    `bench --jobs: two sample scans of ${options.slices} slices, ${options.imageSize} × ${options.imageSize}; each job in its own process`,
    '| job | seconds | CPU seconds | peak RSS MB | work |',
    '| --- | ---: | ---: | ---: | --- |',
    ...jobs.map(row),
  ].join('\n');
  return { json: { ...options, jobs }, text };
}
