import { InputError } from '../../shared/errors.ts';
import type { JobEvent, PretrainSummary, SkippedAnchorsInfo } from '../../shared/job.ts';
import { startPretrainProcess } from '../../engine/node/jobs/job-processes.ts';
import { JobFailedError } from '../../engine/node/process/job-failed-error.ts';
import { checkPretrainOptions, defaultModelName, type PretrainOptions } from '../../engine/node/pretrain-job.ts';
import { checkNetworkSize } from '../../engine/networks/create-network.ts';
import { BACKBONES, PRETRAIN_METHODS, defaultBackbone, type Backbone, type PretrainMethod } from '../../shared/job.ts';
import { backboneProblem } from '../../shared/pretrain-methods.ts';
import type { Command, CommandContext } from '../command.ts';
import { INTENSITY_FLAGS, INTENSITY_USAGE, intensityOption } from '../intensity-options.ts';
import { backendChoice, optionalNumber, optionalString, requireString, stringList } from '../options.ts';
import { formatSeconds } from '../progress-bar.ts';

export const pretrainCommand: Command = {
  name: 'pretrain',
  summary:
    "Self-supervised pre-training on the workspace's series: SSMTL (U-Net), SSMTL+ or the MoCo v2 baseline (ResNet50-FCN); resumable.",
  usage: `pretrain --workspace DIR [--series ID]… [--method ssmtl|ssmtl+|mocov2] [--t 5]… [--backbone unet|resnet50-fcn] [--lambda 1] [--epochs 100] [--batch 16] [--size 256] [--width 64] [--lr 0.001] [--seed 0] [--backend auto|tensorflow|webgpu|wasm|cpu] [--name NAME] [--resume] [--threads N] ${INTENSITY_USAGE} [--json]`,
  options: {
    workspace: { type: 'string' },
    series: { type: 'string', multiple: true },
    method: { type: 'string' },
    t: { type: 'string', multiple: true },
    backbone: { type: 'string' },
    epochs: { type: 'string' },
    batch: { type: 'string' },
    size: { type: 'string' },
    width: { type: 'string' },
    lr: { type: 'string' },
    lambda: { type: 'string' },
    seed: { type: 'string' },
    backend: { type: 'string' },
    name: { type: 'string' },
    resume: { type: 'boolean' },
    threads: { type: 'string' },
    'checkpoint-minutes': { type: 'string' },
    ...INTENSITY_FLAGS,
  },
  async run(context) {
    const options = parsePretrainOptions(context);
    checkPretrainOptions(options);
    const summary = await runInChildProcess(options, context);
    return { json: contractJson(summary), text: describe(summary) };
  },
};

export function parsePretrainOptions(context: CommandContext): PretrainOptions {
  const workspace = requireString(context, 'workspace');
  const method = (optionalString(context, 'method') ?? 'ssmtl') as PretrainMethod;
  if (!PRETRAIN_METHODS.includes(method)) throw new InputError(`--method must be one of ${PRETRAIN_METHODS.join(', ')}, got '${method}'`);
  const backbone = (optionalString(context, 'backbone') ?? defaultBackbone(method)) as Backbone;
  if (!BACKBONES.includes(backbone)) throw new InputError(`--backbone must be unet or resnet50-fcn, got '${backbone}'`);
  const problem = backboneProblem(method, backbone);
  if (problem) throw new InputError(`--backbone ${backbone}: ${problem}`);
  if (method === 'mocov2' && stringList(context, 't').length > 0)
    throw new InputError('--t: MoCo v2 has no slice distance (it contrasts whole slices)');
  if (context.values.lambda !== undefined && method !== 'ssmtl+')
    throw new InputError('--lambda is the weight of the similarity task of --method ssmtl+');
  const tValues = stringList(context, 't');
  const ts =
    tValues.length === 0
      ? [5]
      : tValues.map((raw) => {
          const t = Number(raw);
          if (!Number.isInteger(t) || t < 1 || t > 1000) throw new InputError(`--t must be an integer in [1, 1000], got '${raw}'`);
          return t;
        });
  if (new Set(ts).size !== ts.length) throw new InputError(`--t values repeat: ${ts.join(', ')}`);
  const size = optionalNumber(context, 'size', 256, { integer: true, min: 16, max: 2048 });
  try {
    checkNetworkSize(backbone, size);
  } catch (error) {
    throw new InputError(`--size: ${(error as Error).message}`);
  }
  const backend = backendChoice(context);
  const seed = optionalNumber(context, 'seed', 0, { integer: true, min: 0, max: 2 ** 32 - 1 });
  const width = optionalNumber(context, 'width', 64, { integer: true, min: 1, max: 512 });
  const resume = Boolean(context.values.resume);
  const explicitName = optionalString(context, 'name');
  if (resume && !explicitName) throw new InputError('--resume needs --name (the run to continue)');
  const minutes = optionalNumber(context, 'checkpoint-minutes', 5, { min: 0.001, max: 5 });
  const intensity = intensityOption(context);
  if (resume && intensity !== undefined)
    throw new InputError('--resume continues with the intensity mapping the run started with: leave the intensity flags out');
  return {
    workspace,
    seriesIds: stringList(context, 'series'),
    method,
    backbone,
    ...(method === 'ssmtl+' ? { lambda: optionalNumber(context, 'lambda', 1, { min: 0, max: 1000 }) } : {}),
    ts: method === 'mocov2' ? [] : ts,
    // Resuming without --epochs keeps the run's own epoch count (0: "as the checkpoint says").
    epochs: optionalNumber(context, 'epochs', resume ? 0 : 100, { integer: true, min: 1, max: 1_000_000 }),
    batch: optionalNumber(context, 'batch', 16, { integer: true, min: 1, max: 4096 }),
    size,
    width,
    lr: optionalNumber(context, 'lr', 0.001, { min: 0 }),
    seed,
    backend,
    name: explicitName ?? defaultModelName({ method, backbone, ts, size, width, seed }),
    resume,
    checkpointIntervalMs: minutes * 60_000,
    ...(intensity !== undefined ? { intensity } : {}),
    ...(context.values.threads !== undefined ? { threads: optionalNumber(context, 'threads', 1, { integer: true, min: 1, max: 64 }) } : {}),
  };
}

async function runInChildProcess(options: PretrainOptions, context: CommandContext): Promise<PretrainSummary> {
  let totalSteps = 0;
  const onEvent = (event: JobEvent) => {
    switch (event.type) {
      case 'started':
        totalSteps = event.totalSteps;
        context.log(
          `pre-training '${event.model}' on ${event.backendNotes[0]}: ${event.series.length} series, ${event.anchors} anchors, ` +
            `${event.stepsPerEpoch} steps/epoch, heads ${event.heads.join(' ')}` +
            (event.microBatch < options.batch ? `, micro-batch ${event.microBatch}` : '') +
            (event.resumedFrom ? `, resumed at epoch ${event.resumedFrom.epoch + 1} step ${event.resumedFrom.step}` : ''),
        );
        for (const note of event.backendNotes.slice(1)) context.log(`note: ${note}`);
        for (const s of event.skipped) context.log(`skipped series ${s.series}: ${s.reason}`);
        for (const line of describeSkippedAnchors(event.skippedAnchors ?? [])) context.log(line);
        for (const id of event.withoutPositions ?? [])
          context.log(`series ${id} does not say where its slices lie: t counts slices there, not slice spacings`);
        break;
      case 'progress':
        context.progress.update({
          stage: 'pre-training',
          done: event.globalStep,
          total: event.totalSteps,
          detail: `epoch ${event.epoch + 1}/${event.epochs} loss ${event.loss.toFixed(4)}`,
        });
        break;
      case 'epoch':
        context.log(
          `epoch ${event.epoch + 1}: loss ${event.loss.toFixed(5)} (${Object.entries(event.headLosses)
            .map(([k, v]) => `${k} ${v.toFixed(5)}`)
            .join(', ')})`,
        );
        break;
      case 'log':
        context.log(event.message);
        break;
      default:
        break;
    }
  };
  const job = startPretrainProcess(options, onEvent);
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    context.log('stopping: writing a checkpoint (resume with --resume --name ' + options.name + ')');
    job.cancel();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const summary = await job.result;
    if (summary.status !== 'done') {
      throw new Error(
        `pre-training of '${summary.model}' was ${interrupted ? 'interrupted' : summary.status} after ${summary.steps} of ${totalSteps} steps; continue it with --resume --name ${summary.model}`,
      );
    }
    return summary;
  } catch (error) {
    if (error instanceof JobFailedError && error.kind === 'input') throw new InputError(error.message, error.hint);
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** CONTRACT.md's fields first, then additions. */
function contractJson(s: PretrainSummary): Record<string, unknown> {
  return {
    model: s.model,
    method: s.method,
    backbone: s.backbone,
    backend: s.backend,
    epochs: s.epochs,
    steps: s.steps,
    seconds: s.seconds,
    imagesPerSecond: s.imagesPerSecond,
    loss: s.loss,
    headLosses: s.headLosses,
    resumed: s.resumed,
    skipped: s.skipped,
    skippedAnchors: s.skippedAnchors ?? [],
  };
}

/** Per series: how many anchors the scan's spacing cost, by reason, and where. */
function describeSkippedAnchors(list: SkippedAnchorsInfo[]): string[] {
  return list.map((k) => {
    const reasons = Object.entries(k.byReason).filter(([, n]) => n > 0);
    const total = reasons.reduce((n, [, m]) => n + m, 0);
    return (
      `skipped ${total} anchor(s) of series ${k.series} whose targets are not t slice spacings away ` +
      `(${reasons.map(([reason, n]) => `${reason} ${n}`).join(', ')}): ${k.where.join('; ')}`
    );
  });
}

function describe(s: PretrainSummary): string {
  return [
    `model ${s.model} (${s.method}, ${s.backbone}) trained on ${s.backend}: ${s.epochs} epochs, ${s.steps} steps in ${formatSeconds(s.seconds)} (${s.imagesPerSecond.toFixed(2)} images/s)`,
    `loss ${s.loss.first?.toFixed(5)} → ${s.loss.last?.toFixed(5)}`,
    ...s.skipped.map((k) => `skipped ${k.series}: ${k.reason}`),
    ...describeSkippedAnchors(s.skippedAnchors ?? []),
  ].join('\n');
}
