import {
  DEFAULT_STOPPING_RULE,
  StoppingRule,
  type StopReason,
  type StoppingRuleConfig,
  type StoppingState,
} from '../segmentation/stopping-rule.ts';
import type { JobControl } from './control.ts';

/**
 * The one training loop of the engine: epochs of steps, pause / resume / cancel, periodic
 * checkpoints, progress with per-task losses, "until convergence" for fine-tuning. What a
 * step does is the method's (TrainingStep); the loop only runs its micro-batches in
 * order and asks the JobControl between them, so a pause or cancel acts within one
 * micro-batch, not one step:
 *
 *   step = part 0 … part n−1 (micro-batches: forward + backward, gradients accumulated)
 *          then finish (the optimizer update, batch statistics, queues…)
 *
 * Nothing a part does is visible outside the step until finish, so a step can wait while
 * paused (a checkpoint taken then is the state at the step's start) or be dropped on
 * cancel (abort). The position below plus the method's tensors is a complete snapshot:
 * data order and augmentations depend only on (seed, epoch, step), so a run resumed from
 * any checkpoint computes what the uninterrupted run would have.
 */
export interface TrainingStep {
  /** images this step trains on */
  readonly images: number;
  /** micro-batches, run in order */
  readonly parts: number;
  runPart(k: number): Promise<void>;
  /** applies the update; per-task losses of the batch. Throws (NonFiniteLossError) before touching any weight. */
  finish(): Promise<number[]>;
  /** drops a step that will not finish: nothing it did remains */
  abort(): void;
}

export type CheckpointReason = 'epoch' | 'interval' | 'pause' | 'cancel';

/** Where a run stands (persisted in checkpoints). */
export interface LoopPosition {
  /** the next step to run: epoch (0-based) and step within it */
  epoch: number;
  step: number;
  globalStep: number;
  perEpoch: number[];
  perEpochTasks: number[][];
  /** sums over the steps done so far in the current epoch, weighted by images */
  epochLossSum: number;
  epochTaskSums: number[];
  epochImages: number;
  /** training seconds over every session (waiting while paused excluded) */
  seconds: number;
  imagesSeen: number;
  /** the stopping rule's state when training until convergence */
  rule: StoppingState | null;
}

export interface LoopSpec {
  tasks: string[];
  stepsPerEpoch: number;
  /** a fixed number of epochs, or null: until the stopping rule says the loss has converged */
  epochs: number | null;
  stopping?: StoppingRuleConfig;
  /** a checkpoint after every epoch (pre-training); otherwise at intervals, on pause and on cancel only */
  checkpointEachEpoch: boolean;
  /** the loss reported and tracked per epoch, from the per-task losses */
  total(taskLosses: number[]): number;
  beginStep(epoch: number, step: number): TrainingStep;
}

export interface LoopProgress {
  epoch: number;
  /** steps done in this epoch */
  step: number;
  stepsPerEpoch: number;
  globalStep: number;
  totalSteps: number | null;
  loss: number;
  taskLosses: number[];
  imagesPerSecond: number;
  etaSeconds: number | null;
}

export interface LoopHooks {
  control?: JobControl;
  onProgress?(progress: LoopProgress): void;
  onEpoch?(epoch: number, loss: number, taskLosses: number[]): void;
  onState?(state: 'running' | 'paused' | 'cancelled' | 'done'): void;
  /** persist a snapshot; awaited before training continues */
  onCheckpoint?(reason: CheckpointReason): Promise<void>;
  /** a checkpoint at least this often; default 5 minutes */
  checkpointIntervalMs?: number;
  /** stop after this many steps in this session (tests, bench) */
  maxSteps?: number;
}

export interface LoopResult {
  status: 'done' | 'cancelled' | 'stopped';
  stopReason: StopReason | 'epochs' | 'cancelled' | 'stopped';
}

export function initialPosition(tasks: number): LoopPosition {
  return {
    epoch: 0,
    step: 0,
    globalStep: 0,
    perEpoch: [],
    perEpochTasks: [],
    epochLossSum: 0,
    epochTaskSums: new Array<number>(tasks).fill(0),
    epochImages: 0,
    seconds: 0,
    imagesSeen: 0,
    rule: null,
  };
}

export function copyPosition(p: LoopPosition): LoopPosition {
  return {
    ...p,
    perEpoch: [...p.perEpoch],
    perEpochTasks: p.perEpochTasks.map((t) => [...t]),
    epochTaskSums: [...p.epochTaskSums],
    rule: p.rule && { ...p.rule },
  };
}

export class TrainingLoop {
  position: LoopPosition;

  constructor(readonly spec: LoopSpec) {
    this.position = initialPosition(spec.tasks.length);
  }

  async run(hooks: LoopHooks = {}): Promise<LoopResult> {
    const { spec } = this;
    const p = this.position;
    const { control } = hooks;
    const rule = spec.epochs === null ? new StoppingRule(spec.stopping ?? DEFAULT_STOPPING_RULE) : null;
    if (rule && p.rule) rule.state = { ...p.rule };
    const intervalMs = hooks.checkpointIntervalMs ?? 5 * 60 * 1000;
    const totalSteps = spec.epochs === null ? null : spec.epochs * spec.stepsPerEpoch;
    let lastCheckpoint = now();
    let sessionSteps = 0;
    let sessionImages = 0;
    let sessionMs = 0;
    const checkpoint = async (reason: CheckpointReason) => {
      if (rule) p.rule = { ...rule.state };
      if (!hooks.onCheckpoint) return;
      await hooks.onCheckpoint(reason);
      lastCheckpoint = now();
    };
    // Between micro-batches: let commands in (on the synchronous backends every await is a
    // microtask, so messages would otherwise wait until the run ends), then obey them.
    const mustStop = async (): Promise<boolean> => {
      await yieldToEventLoop();
      if (!control) return false;
      if (control.paused && !control.cancelled) {
        await checkpoint('pause');
        hooks.onState?.('paused');
        await control.waitWhilePaused();
        if (!control.cancelled) hooks.onState?.('running');
      }
      return control.cancelled;
    };
    const cancelled = async (): Promise<LoopResult> => {
      await checkpoint('cancel');
      hooks.onState?.('cancelled');
      return { status: 'cancelled', stopReason: 'cancelled' };
    };
    hooks.onState?.('running');
    while (spec.epochs === null || p.epoch < spec.epochs) {
      while (p.step < spec.stepsPerEpoch) {
        if (await mustStop()) return cancelled();
        if (hooks.maxSteps !== undefined && sessionSteps >= hooks.maxSteps) return { status: 'stopped', stopReason: 'stopped' };
        const work = spec.beginStep(p.epoch, p.step);
        let stepMs = 0;
        let taskLosses: number[];
        try {
          for (let k = 0; k < work.parts; k++) {
            if (k > 0 && (await mustStop())) {
              work.abort();
              return cancelled();
            }
            const t0 = now();
            await work.runPart(k);
            stepMs += now() - t0;
          }
          const t0 = now();
          taskLosses = await work.finish();
          stepMs += now() - t0;
        } catch (error) {
          work.abort();
          throw error;
        }
        const loss = spec.total(taskLosses);
        sessionMs += stepMs;
        p.seconds += stepMs / 1000;
        p.epochLossSum += loss * work.images;
        taskLosses.forEach((v, i) => (p.epochTaskSums[i] += v * work.images));
        p.epochImages += work.images;
        p.imagesSeen += work.images;
        p.step++;
        p.globalStep++;
        sessionSteps++;
        sessionImages += work.images;
        hooks.onProgress?.({
          epoch: p.epoch,
          step: p.step,
          stepsPerEpoch: spec.stepsPerEpoch,
          globalStep: p.globalStep,
          totalSteps,
          loss,
          taskLosses,
          imagesPerSecond: sessionMs > 0 ? (sessionImages * 1000) / sessionMs : 0,
          etaSeconds: totalSteps === null ? null : ((totalSteps - p.globalStep) * sessionMs) / sessionSteps / 1000,
        });
        if (p.step < spec.stepsPerEpoch && now() - lastCheckpoint >= intervalMs) await checkpoint('interval');
      }
      const epochLoss = p.epochLossSum / p.epochImages;
      const epochTasks = p.epochTaskSums.map((v) => v / p.epochImages);
      p.perEpoch.push(epochLoss);
      p.perEpochTasks.push(epochTasks);
      hooks.onEpoch?.(p.epoch, epochLoss, epochTasks);
      const stop = rule?.update(epochLoss, p.globalStep) ?? null;
      p.epoch++;
      p.step = 0;
      p.epochLossSum = 0;
      p.epochTaskSums = spec.tasks.map(() => 0);
      p.epochImages = 0;
      if (stop) {
        hooks.onState?.('done');
        return { status: 'done', stopReason: stop };
      }
      if (spec.checkpointEachEpoch) await checkpoint('epoch');
      else if (now() - lastCheckpoint >= intervalMs) await checkpoint('interval');
    }
    hooks.onState?.('done');
    return { status: 'done', stopReason: 'epochs' };
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
