import { availableParallelism } from 'node:os';
import type { PretrainSettings } from '../../../shared/api.ts';
import { InputError, quoteSome } from '../../../shared/errors.ts';
import { defaultBackbone } from '../../../shared/job.ts';
import { backboneProblem } from '../../../shared/pretrain-methods.ts';
import type { TrainingEstimate } from '../../../shared/training-estimate.ts';
import { startStepTimingProcess } from '../jobs/job-processes.ts';
import type { JobProcess } from '../process/start-job-process.ts';
import type { StepTiming } from '../step-timing.ts';
import { tensorflowInstalled } from '../load-backend.ts';
import { WorkerGradients } from '../parallel/worker-gradients.ts';
import { replicable } from '../random-data-trainer.ts';
import type { StudioSession } from './studio-session.ts';

/**
 * The slice sides a step is timed at (seconds even for the paper's width 64 on a CPU).
 * A step costs a fixed part (kernel launches, the optimizer) plus a part in proportion to
 * the pixels (the convolutions): two sizes give both, and the full size follows. The
 * ResNet50 takes multiples of 32, 64 px at least.
 */
const PROBE_SIZES = { unet: [32, 64], 'resnet50-fcn': [64, 96] } as const;
/** the timing in progress for each session */
const timings = new WeakMap<StudioSession, JobProcess<StepTiming>>();
/** images per timed step */
const PROBE_BATCH = 1;

/**
 * How long a pre-training of these settings would take on the compute it would run on:
 * one-image training steps of the same network (width, method, backbone) timed in a
 * process of its own on that compute, at two small sizes (PROBE_SIZES), give a step's
 * fixed and per-pixel cost; a step of the run is the fixed part plus its batch at the
 * full size (shared among the worker threads a run would use), times the steps of every
 * epoch (the anchors of the chosen series). Null where the run would go to a page's
 * WebGPU (that page is not timed).
 */
export async function estimatePretrain(session: StudioSession, settings: PretrainSettings): Promise<TrainingEstimate | null> {
  const workspace = session.requireWorkspace();
  const unknown = workspace.unknownSeries(settings.seriesIds);
  if (unknown.length > 0) throw new InputError(`no series ${quoteSome(unknown)} in this workspace: choose among the imported series`);
  const backbone = settings.backbone ?? defaultBackbone(settings.method);
  const problem = backboneProblem(settings.method, backbone);
  if (problem) throw new InputError(problem);
  if (session.browserGpus.choose(settings.backend, tensorflowInstalled())) return null;

  const chosen = new Set(settings.seriesIds);
  const series = workspace.listSeries().filter((s) => chosen.size === 0 || chosen.has(s.id));
  // SSMTL needs the slices t before and after an anchor; MoCo v2 takes every slice.
  const margin = settings.method === 'mocov2' ? 0 : 2 * settings.t;
  const imagesPerEpoch = series.reduce((n, s) => n + Math.max(0, s.slices - margin), 0);
  const sizes = PROBE_SIZES[backbone];
  const setup = { method: settings.method, backbone, t: 1, width: settings.width, batch: PROBE_BATCH, threads: 1 };
  // One timing at a time per session: settings changed since make the last one moot.
  timings.get(session)?.cancel();
  const timingProcess = startStepTimingProcess({ workspace: workspace.dir, setup, sizes: [...sizes], backend: settings.backend });
  timings.set(session, timingProcess);
  const timing = await timingProcess.result.finally(() => {
    if (timings.get(session) === timingProcess) timings.delete(session);
  });
  const cost = fitStepCost(sizes, [timing.secondsPerImage[0], timing.secondsPerImage[1]]);
  // Worker threads share a step's images; the update runs once per step.
  const threads = replicable(setup)
    ? WorkerGradients.defaultWorkers(timing.backend, availableParallelism(), settings.size, settings.width)
    : 1;
  const stepSeconds = cost.fixedSeconds + (settings.batch * cost.secondsPerPixel * settings.size ** 2) / threads;
  const stepsPerEpoch = Math.ceil(imagesPerEpoch / settings.batch);
  return {
    seconds: stepSeconds * stepsPerEpoch * settings.epochs,
    secondsPerStep: stepSeconds,
    stepsPerEpoch,
    onCpu: timing.software,
    compute: timing.description,
  };
}

/** A training step's time: a fixed part (the optimizer's update of every weight) and a part per pixel of every image. */
export interface StepCost {
  fixedSeconds: number;
  secondsPerPixel: number;
}

/** The step's cost from one-image steps timed at two sizes. */
export function fitStepCost(sizes: readonly [number, number], seconds: readonly [number, number]): StepCost {
  const [a, b] = sizes;
  const perPixel = (seconds[1] - seconds[0]) / (b * b - a * a);
  // Noise can make the larger probe no slower: then all of it counts per pixel (the safe side).
  if (perPixel <= 0) return { fixedSeconds: 0, secondsPerPixel: seconds[1] / (b * b) };
  return { fixedSeconds: Math.max(0, seconds[1] - perPixel * b * b), secondsPerPixel: perPixel };
}
