import { isBackboneName } from '../../engine/networks/dense-network.ts';
import { InputError } from '../../shared/errors.ts';
import { DEFAULT_FINETUNE, runFinetune, type FinetuneOptions } from '../../engine/node/segmentation/finetune-job.ts';
import { JobControl } from '../../engine/train/control.ts';
import type { SegmentationJobEvent } from '../../shared/segmentation.ts';
import type { Command, CommandContext } from '../command.ts';
import { INTENSITY_FLAGS, INTENSITY_USAGE, intensityOption } from '../intensity-options.ts';
import { backendChoice, optionalNumber, optionalString, requireString, stringList } from '../options.ts';
import { formatSeconds } from '../progress-bar.ts';

/** `ssmtl finetune`: a segmentation model from the annotated slices. */
export const finetuneCommand: Command = {
  name: 'finetune',
  summary:
    'Train a segmentation model on every annotated slice, from a pre-trained backbone (or --init none); stops at convergence unless --epochs is given',
  usage: `finetune --workspace DIR --name NAME [--init MODEL | --init none] [--epochs N] [--seed 0] [--backend auto|tensorflow|webgpu|wasm|cpu] [--batch 8] [--lr 0.001] [--size S --width W --backbone unet|resnet50-fcn ${INTENSITY_USAGE} (with --init none; otherwise the model's)] [--series ID]… [--resume] [--json]`,
  options: {
    workspace: { type: 'string' },
    name: { type: 'string' },
    init: { type: 'string' },
    epochs: { type: 'string' },
    seed: { type: 'string' },
    backend: { type: 'string' },
    batch: { type: 'string' },
    lr: { type: 'string' },
    size: { type: 'string' },
    width: { type: 'string' },
    backbone: { type: 'string' },
    series: { type: 'string', multiple: true },
    resume: { type: 'boolean' },
    ...INTENSITY_FLAGS,
  },
  async run(context) {
    const options = parseFinetuneOptions(context);
    const summary = await finetuneWithProgress(options, context);
    const { status: _status, ...rest } = summary;
    return {
      json: rest,
      text: [
        `model ${summary.model} (${summary.init === 'none' ? 'from random weights' : `from ${summary.init}`}) trained on ${summary.backend}: ${summary.trainSlices} annotated slices, classes ${summary.classes.join(', ')}`,
        `${summary.epochs} epochs, ${summary.steps} steps in ${formatSeconds(summary.seconds)} (stopped: ${summary.stopReason}); loss ${summary.loss.first?.toFixed(4)} → ${summary.loss.last?.toFixed(4)}`,
      ].join('\n'),
    };
  },
};

export function parseFinetuneOptions(context: CommandContext): FinetuneOptions {
  const backend = backendChoice(context);
  const init = optionalString(context, 'init') ?? null;
  const backbone = optionalString(context, 'backbone');
  if (backbone !== undefined && !isBackboneName(backbone))
    throw new InputError(`--backbone must be unet or resnet50-fcn, got '${backbone}'`);
  const intensity = intensityOption(context);
  return {
    workspace: requireString(context, 'workspace'),
    name: requireString(context, 'name'),
    init,
    epochs: context.values.epochs === undefined ? null : optionalNumber(context, 'epochs', 1, { integer: true, min: 1, max: 100000 }),
    seed: optionalNumber(context, 'seed', 0, { integer: true, min: 0, max: 2 ** 32 - 1 }),
    backend,
    batch: optionalNumber(context, 'batch', DEFAULT_FINETUNE.batch, { integer: true, min: 1, max: 4096 }),
    lr: optionalNumber(context, 'lr', DEFAULT_FINETUNE.lr, { min: 0 }),
    ...(context.values.size !== undefined ? { size: optionalNumber(context, 'size', 256, { integer: true, min: 16, max: 2048 }) } : {}),
    ...(context.values.width !== undefined ? { width: optionalNumber(context, 'width', 64, { integer: true, min: 1, max: 512 }) } : {}),
    ...(backbone !== undefined ? { backbone } : {}),
    seriesIds: stringList(context, 'series'),
    resume: Boolean(context.values.resume),
    ...(intensity !== undefined ? { intensity } : {}),
  };
}

/** Runs a fine-tune in this process with progress on stderr; Ctrl-C stops between steps and writes a checkpoint (not a model). */
export async function finetuneWithProgress(options: FinetuneOptions, context: CommandContext) {
  const control = new JobControl();
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    context.log(`stopping fine-tuning after the current micro-batch (continue it with --resume --name ${options.name})`);
    control.cancel();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const onEvent = (event: SegmentationJobEvent) => {
    switch (event.type) {
      case 'started':
        context.log(
          `fine-tuning '${event.model}' on ${event.backendNotes[0]}: ${event.trainSlices} annotated slices, classes ${event.classes.join(' ')}, ` +
            `${event.init === 'none' ? 'random initial weights' : `backbone of ${event.init}`}, ${event.epochs === null ? 'until convergence' : `${event.epochs} epochs`}`,
        );
        for (const note of event.backendNotes.slice(1)) context.log(`note: ${note}`);
        break;
      case 'progress':
        context.progress.update({
          stage: 'fine-tuning',
          done: event.globalStep,
          total: event.totalSteps ?? event.globalStep + event.stepsPerEpoch,
          detail: `epoch ${event.epoch + 1} loss ${event.loss.toFixed(4)}`,
        });
        break;
      case 'epoch':
        if (process.env.SSMTL_VERBOSE) context.log(`epoch ${event.epoch + 1}: loss ${event.loss.toFixed(5)}`);
        break;
      case 'log':
        context.log(event.message);
        break;
    }
  };
  try {
    const summary = await runFinetune(options, { emit: onEvent, control });
    if (summary.status !== 'done') {
      throw new Error(
        `fine-tuning of '${options.name}' was ${interrupted ? 'interrupted' : 'cancelled'} after ${summary.steps} steps; the model was not saved (an earlier model of that name is unchanged): continue it with --resume, or run it again`,
      );
    }
    return summary;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
