import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError } from '../../shared/errors.ts';
import type { JobEvent } from '../../shared/job.ts';
import { isBackendChoice } from '../../engine/backends/backend-names.ts';
import { importAnnotations } from '../../engine/node/annotations/import-annotations.ts';
import { writeLabelSet } from '../../engine/node/annotations/label-set.ts';
import { MMWHS_LABELS } from '../../shared/labels.ts';
import { importScanned } from '../../engine/node/import/import-series.ts';
import { scanPaths } from '../../engine/node/import/scan-paths.ts';
import { runPretrain } from '../../engine/node/pretrain-job.ts';
import { evaluateSeries, round } from '../../engine/node/segmentation/evaluate-job.ts';
import { runFinetune } from '../../engine/node/segmentation/finetune-job.ts';
import { Workspace } from '../../engine/node/workspace/workspace.ts';
import { OverlapCounts } from '../../engine/segmentation/metrics.ts';
import { UNet } from '../../engine/networks/unet.ts';
import { writeSample } from '../../sample/write-sample.ts';
import type { Command, CommandContext } from '../command.ts';
import { optionalNumber, optionalString } from '../options.ts';
import { formatSeconds } from '../progress-bar.ts';

/**
 * `ssmtl demo`: the paper's central claim on the built-in sample. Writes the synthetic
 * CT series into the workspace, imports them, pre-trains SSMTL on all of them (unlabeled),
 * annotates a few slices of the first half of the subjects from the ground truth, fine-tunes
 * once from the pre-trained backbone and once from random weights (same seed, same
 * slices, same schedule), and scores both on the other subjects (all their slices) —
 * the paper's train/test split by scan (Sec. 4.2).
 */
export const demoCommand: Command = {
  name: 'demo',
  summary:
    'The whole job on the built-in sample: pre-train, annotate a few slices from the ground truth, fine-tune from the pre-trained backbone and from scratch, score both',
  usage:
    'demo [--workspace DIR] [--labels paper|all] [--subjects 4] [--slices 48] [--image-size 64] [--size 64] [--width 16] [--pretrain-epochs 10] [--epochs N (default: until convergence)] [--annotated 8] [--batch 8] [--seed 0] [--backend auto|…] [--json]',
  options: {
    workspace: { type: 'string' },
    subjects: { type: 'string' },
    slices: { type: 'string' },
    'image-size': { type: 'string' },
    size: { type: 'string' },
    width: { type: 'string' },
    'pretrain-epochs': { type: 'string' },
    epochs: { type: 'string' },
    annotated: { type: 'string' },
    batch: { type: 'string' },
    seed: { type: 'string' },
    backend: { type: 'string' },
    t: { type: 'string' },
    labels: { type: 'string' },
  },
  async run(context) {
    const o = parseDemoOptions(context);
    const result = await runDemo(o, context);
    const f = (x: number | null) => (x === null ? '—' : x.toFixed(3));
    const text = [
      `workspace ${result.workspace}: ${result.series} sample series; pre-trained '${result.pretrain.model}' in ${formatSeconds(result.seconds.pretrain)}`,
      `fine-tuned on ${result.trainSlices} annotated slices of ${result.trainSeries} scan(s), scored on ${result.slicesScored} slices of ${result.testSeries} scan(s)` +
        (result.withinScan
          ? ' (within-scan: the scored scan is the training scan, whose other slices neighbour the annotated ones; not a score on an unseen scan — use --subjects 2 or more):'
          : ' (other scans than the training ones):'),
      `  mIoU pre-trained (SSMTL) ${f(result.miou.pretrained)}   from scratch ${f(result.miou.scratch)}`,
      `  per class IoU (pre-trained / scratch): ${Object.keys(result.iou.pretrained)
        .map((v) => `${v} ${f(result.iou.pretrained[v])}/${f(result.iou.scratch[v])}`)
        .join(', ')}`,
    ].join('\n');
    return { json: result, text };
  },
};

interface DemoOptions {
  workspace: string;
  subjects: number;
  slices: number;
  imageSize: number;
  size: number;
  width: number;
  pretrainEpochs: number;
  epochs: number | null;
  annotated: number;
  batch: number;
  seed: number;
  backend: 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
  t: number;
  /** 'paper': the four chambers the paper scores (LV, RV, LA, RA; Sec. 4.2); 'all': the seven MM-WHS structures */
  labels: 'paper' | 'all';
}

/** The paper's classes of interest (Sec. 4.2, Tables 2-3). */
const PAPER_LABELS = MMWHS_LABELS.filter((l) => ['LV', 'RV', 'LA', 'RA'].includes(l.name));

function parseDemoOptions(context: CommandContext): DemoOptions {
  const backend = optionalString(context, 'backend') ?? 'auto';
  if (!isBackendChoice(backend)) throw new InputError(`--backend must be auto, tensorflow, webgpu, wasm or cpu, got '${backend}'`);
  const size = optionalNumber(context, 'size', 64, { integer: true, min: 16, max: 1024 });
  try {
    UNet.checkSize(size);
  } catch (error) {
    throw new InputError(`--size: ${(error as Error).message}`);
  }
  const t = optionalNumber(context, 't', 5, { integer: true, min: 1, max: 100 });
  const slices = optionalNumber(context, 'slices', 48, { integer: true, min: 11, max: 1024 });
  if (slices < 2 * t + 1) throw new InputError(`--slices ${slices}: t = ${t} needs at least ${2 * t + 1} slices`);
  const labels = optionalString(context, 'labels') ?? 'paper';
  if (labels !== 'paper' && labels !== 'all')
    throw new InputError(`--labels must be paper (LV, RV, LA, RA) or all (the seven MM-WHS structures), got '${labels}'`);
  const dir = optionalString(context, 'workspace');
  let workspace: string;
  if (dir) {
    workspace = resolve(dir);
    if (existsSync(workspace) && readdirSync(workspace).length > 0)
      throw new InputError(`--workspace ${dir} is not empty: the demo needs a new or empty folder`);
  } else {
    workspace = mkdtempSync(join(tmpdir(), 'ssmtl-demo-'));
  }
  return {
    workspace,
    subjects: optionalNumber(context, 'subjects', 4, { integer: true, min: 1, max: 20 }),
    slices,
    imageSize: optionalNumber(context, 'image-size', 64, { integer: true, min: 32, max: 512 }),
    size,
    width: optionalNumber(context, 'width', 16, { integer: true, min: 1, max: 128 }),
    pretrainEpochs: optionalNumber(context, 'pretrain-epochs', 10, { integer: true, min: 1, max: 10000 }),
    epochs: context.values.epochs === undefined ? null : optionalNumber(context, 'epochs', 1, { integer: true, min: 1, max: 100000 }),
    annotated: optionalNumber(context, 'annotated', 8, { integer: true, min: 1, max: 1000 }),
    batch: optionalNumber(context, 'batch', 8, { integer: true, min: 1, max: 1024 }),
    seed: optionalNumber(context, 'seed', 0, { integer: true, min: 0, max: 2 ** 31 - 1 }),
    backend,
    t,
    labels,
  };
}

async function runDemo(o: DemoOptions, context: CommandContext) {
  const seconds: Record<string, number> = {};
  const timed = async <T>(stage: string, work: () => Promise<T> | T): Promise<T> => {
    const t0 = performance.now();
    context.log(`demo: ${stage}…`);
    const value = await work();
    seconds[stage] = Math.round(performance.now() - t0) / 1000;
    return value;
  };
  // The catalogue first (the folder must be empty to become a workspace), then the sample inside it.
  const created = Workspace.open(o.workspace, { create: true });
  // The paper scores the four chambers; the other structures of the ground truth are erased to background when annotating.
  if (o.labels === 'paper') writeLabelSet(created, PAPER_LABELS);
  created.close();
  const sampleDir = join(o.workspace, 'sample');
  const sample = await timed('sample', () =>
    writeSample({ outDir: sampleDir, subjects: o.subjects, slices: o.slices, size: o.imageSize, seed: o.seed }),
  );
  await timed('import', async () => {
    const workspace = Workspace.open(o.workspace, { create: false });
    try {
      await importScanned(workspace, scanPaths(sample.series.map((s) => s.dicomDir)));
    } finally {
      workspace.close();
    }
  });
  const pretrainName = `demo-ssmtl-t${o.t}`;
  const pretrain = await timed('pretrain', () =>
    runPretrain(
      {
        workspace: o.workspace,
        seriesIds: [],
        method: 'ssmtl',
        backbone: 'unet',
        ts: [o.t],
        epochs: o.pretrainEpochs,
        batch: o.batch,
        size: o.size,
        width: o.width,
        lr: 0.001,
        seed: o.seed,
        backend: o.backend,
        name: pretrainName,
        resume: false,
      },
      {
        emit: (event: JobEvent) => {
          if (event.type === 'progress')
            context.progress.update({
              stage: 'pre-training',
              done: event.globalStep,
              total: event.totalSteps,
              detail: `loss ${event.loss.toFixed(4)}`,
            });
        },
      },
    ),
  );
  // The paper's split by scan: the first half annotated (a few slices each), the rest for testing.
  const trainCount = o.subjects === 1 ? 1 : Math.ceil(o.subjects / 2);
  const train = sample.series.slice(0, trainCount);
  const test = o.subjects === 1 ? sample.series : sample.series.slice(trainCount);
  const trainSlices = await timed('annotate', () => {
    const workspace = Workspace.open(o.workspace, { create: false });
    try {
      let n = 0;
      for (const s of train)
        n += importAnnotations(workspace, {
          seriesId: s.seriesInstanceUid,
          labelsPath: s.labelsPath,
          count: o.annotated,
          seed: o.seed,
          unknownLabels: 'background',
        }).annotatedSlices.length;
      return n;
    } finally {
      workspace.close();
    }
  });
  const finetune = async (name: string, init: string) =>
    runFinetune(
      {
        workspace: o.workspace,
        name,
        init,
        epochs: o.epochs,
        seed: o.seed,
        backend: o.backend,
        batch: o.batch,
        lr: 0.001,
        ...(init === 'none' ? { size: o.size, width: o.width } : {}),
      },
      {
        emit: (event) => {
          if (event.type === 'progress')
            context.progress.update({
              stage: `fine-tuning ${name}`,
              done: event.globalStep,
              total: event.totalSteps ?? event.globalStep + 1,
              detail: `loss ${event.loss.toFixed(4)}`,
            });
        },
      },
    );
  const pretrained = await timed('finetunePretrained', () => finetune('demo-seg-pretrained', pretrainName));
  const scratch = await timed('finetuneScratch', () => finetune('demo-seg-scratch', 'none'));
  const scores = await timed('evaluate', async () => {
    const workspace = Workspace.open(o.workspace, { create: false });
    try {
      const out: Record<string, { counts: OverlapCounts; slices: number; withinScan: boolean }> = {};
      for (const model of ['demo-seg-pretrained', 'demo-seg-scratch']) {
        let pooled: OverlapCounts | null = null;
        let slices = 0;
        let withinScan = false;
        for (const s of test) {
          const r = await evaluateSeries(workspace, model, s.seriesInstanceUid, s.labelsPath);
          if (!pooled) pooled = new OverlapCounts(r.classes);
          pooled.merge(r.counts);
          slices += r.slicesScored;
          withinScan ||= r.withinScan;
        }
        out[model] = { counts: pooled as OverlapCounts, slices, withinScan };
      }
      return out;
    } finally {
      workspace.close();
    }
  });
  const summarize = (model: string) => {
    const { counts } = scores[model];
    const structures = counts.classes.filter((v) => v !== 0);
    const iou = counts.iou();
    return { miou: round(counts.miou(structures)), iou: Object.fromEntries(structures.map((v) => [String(v), round(iou[String(v)])])) };
  };
  const p = summarize('demo-seg-pretrained');
  const s = summarize('demo-seg-scratch');
  return {
    workspace: o.workspace,
    series: sample.series.length,
    pretrain: {
      model: pretrain.model,
      method: pretrain.method,
      backbone: pretrain.backbone,
      backend: pretrain.backend,
      epochs: pretrain.epochs,
      steps: pretrain.steps,
      seconds: pretrain.seconds,
      imagesPerSecond: pretrain.imagesPerSecond,
      loss: pretrain.loss,
    },
    miou: { pretrained: p.miou, scratch: s.miou },
    iou: { pretrained: p.iou, scratch: s.iou },
    finetune: { pretrained: withoutStatus(pretrained), scratch: withoutStatus(scratch) },
    trainSeries: train.length,
    testSeries: test.length,
    trainSlices,
    slicesScored: scores['demo-seg-pretrained'].slices,
    /** true when a scored scan was also a training scan (--subjects 1): its other slices are neighbours of the training slices */
    withinScan: scores['demo-seg-pretrained'].withinScan || scores['demo-seg-scratch'].withinScan,
    settings: o,
    seconds: seconds as {
      sample: number;
      import: number;
      pretrain: number;
      annotate: number;
      finetunePretrained: number;
      finetuneScratch: number;
      evaluate: number;
    },
  };
}

function withoutStatus<T extends { status: unknown; loss: unknown }>(summary: T): Omit<T, 'status'> {
  const { status: _status, ...rest } = summary;
  return rest;
}
