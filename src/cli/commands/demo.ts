import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError } from '../../shared/errors.ts';
import type { JobEvent } from '../../shared/job.ts';
import { deleteSliceAnnotations } from '../../engine/node/annotations/annotation-store.ts';
import { importAnnotations } from '../../engine/node/annotations/import-annotations.ts';
import { writeLabelSet } from '../../engine/node/annotations/label-set.ts';
import { MMWHS_LABELS } from '../../shared/labels.ts';
import { importScanned } from '../../engine/node/import/import-series.ts';
import { scanPaths } from '../../engine/node/import/scan-paths.ts';
import { runPretrain } from '../../engine/node/pretrain-job.ts';
import { evaluateSeries, round } from '../../engine/node/segmentation/evaluate-job.ts';
import { runFinetune } from '../../engine/node/segmentation/finetune-job.ts';
import { readModel } from '../../engine/node/workspace/model-state.ts';
import { Workspace } from '../../engine/node/workspace/workspace.ts';
import { formatMeanSd, meanSd, pairedDifference, type MeanSd } from '../../engine/experiment/seed-statistics.ts';
import { describeIntensity, recordedIntensity, type IntensitySpec } from '../../shared/intensity-mapping.ts';
import { INTENSITY_FLAGS, INTENSITY_USAGE, intensityOption } from '../intensity-options.ts';
import { OverlapCounts } from '../../engine/segmentation/metrics.ts';
import { UNet } from '../../engine/networks/unet.ts';
import { writeSample } from '../../sample/write-sample.ts';
import type { Command, CommandContext } from '../command.ts';
import { backendChoice, optionalNumber, optionalString } from '../options.ts';
import { formatSeconds } from '../progress-bar.ts';

/**
 * `ssmtl demo`: the paper's central claim on the built-in sample. Writes the synthetic
 * CT series into the workspace, imports them, and for each network width (8 and 16 by
 * default: both are reported, neither is picked by its score) pre-trains SSMTL on all of
 * them (unlabeled). Then for each of N seeds it annotates a few slices of the first half
 * of the subjects from the ground truth (the seed draws which), fine-tunes once from the
 * pre-trained backbone and once from random weights (same seed, same slices) until the
 * stopping rule, and scores both on the other subjects (all their slices): the paper's
 * train/test split by scan (Sec. 4.2). Beside it, an equal-steps variant trains the arm
 * that stopped sooner for as many steps as the other. Per width: mean ± sd over seeds of
 * each arm's mIoU and of the paired difference pre-trained − scratch.
 */
export const demoCommand: Command = {
  name: 'demo',
  summary:
    'The whole job on the built-in sample: pre-train, annotate a few slices from the ground truth, fine-tune from the pre-trained backbone and from scratch, score both',
  usage: `demo [--workspace DIR] [--labels paper|all] [--subjects 4] [--slices 48] [--image-size 64] [--size 64] [--widths 8,16 | --width W] [--pretrain-epochs 10] [--epochs N (default: until convergence)] [--annotated 8] [--batch 8] [--seeds 3] [--seed 0] [--backend auto|…] ${INTENSITY_USAGE} [--json]`,
  options: {
    workspace: { type: 'string' },
    subjects: { type: 'string' },
    slices: { type: 'string' },
    'image-size': { type: 'string' },
    size: { type: 'string' },
    width: { type: 'string' },
    widths: { type: 'string' },
    seeds: { type: 'string' },
    ...INTENSITY_FLAGS,
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
    return { json: result, text: describeDemo(result) };
  },
};

interface DemoOptions {
  workspace: string;
  subjects: number;
  slices: number;
  imageSize: number;
  size: number;
  /** each gets its own pre-training and fine-tunings; all are reported */
  widths: number[];
  pretrainEpochs: number;
  epochs: number | null;
  annotated: number;
  batch: number;
  /** the first seed; seeds seed … seed + seeds − 1 */
  seed: number;
  seeds: number;
  intensity: IntensitySpec;
  backend: 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
  t: number;
  /** 'paper': the four chambers the paper scores (LV, RV, LA, RA; Sec. 4.2); 'all': the seven MM-WHS structures */
  labels: 'paper' | 'all';
}

/** The paper's classes of interest (Sec. 4.2, Tables 2-3). */
const PAPER_LABELS = MMWHS_LABELS.filter((l) => ['LV', 'RV', 'LA', 'RA'].includes(l.name));

/** The demo reports width 8 and 16 by default; `--width W` (one) or `--widths A,B,…` say otherwise. */
function parseWidths(context: CommandContext): number[] {
  if (context.values.width !== undefined && context.values.widths !== undefined) throw new InputError('give --width or --widths, not both');
  if (context.values.width !== undefined) return [optionalNumber(context, 'width', 16, { integer: true, min: 1, max: 128 })];
  const text = optionalString(context, 'widths') ?? '8,16';
  const widths = text.split(',').map((w) => Number(w.trim()));
  if (widths.length === 0 || widths.some((w) => !Number.isInteger(w) || w < 1 || w > 128) || new Set(widths).size !== widths.length)
    throw new InputError(`--widths must be distinct integers in [1, 128] separated by commas (e.g. 8,16), got '${text}'`);
  return widths;
}

function parseDemoOptions(context: CommandContext): DemoOptions {
  const backend = backendChoice(context);
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
    widths: parseWidths(context),
    pretrainEpochs: optionalNumber(context, 'pretrain-epochs', 10, { integer: true, min: 1, max: 10000 }),
    epochs: context.values.epochs === undefined ? null : optionalNumber(context, 'epochs', 1, { integer: true, min: 1, max: 100000 }),
    annotated: optionalNumber(context, 'annotated', 8, { integer: true, min: 1, max: 1000 }),
    batch: optionalNumber(context, 'batch', 8, { integer: true, min: 1, max: 1024 }),
    seed: optionalNumber(context, 'seed', 0, { integer: true, min: 0, max: 2 ** 31 - 1 }),
    seeds: optionalNumber(context, 'seeds', 3, { integer: true, min: 1, max: 100 }),
    intensity: intensityOption(context) ?? 'auto',
    backend,
    t,
    labels,
  };
}

/** One fine-tuned model, scored on the test subjects. */
interface ArmResult {
  model: string;
  miou: number | null;
  iou: Record<string, number | null>;
  epochs: number;
  steps: number;
  /** converged, fit, max-steps (the stopping rule) or epochs (a fixed count) */
  stoppedBecause: string;
  seconds: number;
}

interface SeedRun {
  seed: number;
  /** the annotated slices of each training series (the seed draws them) */
  annotatedSlices: Record<string, number[]>;
  stoppingRule: { pretrained: ArmResult; scratch: ArmResult };
  /** both arms for the steps of the one that trained longer (its run is the same training, reused); null with --epochs */
  equalSteps: { steps: number; pretrained: ArmResult; scratch: ArmResult } | null;
}

/** Mean ± sd over seeds of each arm, and of the paired difference pre-trained − scratch. */
interface SeedSummary {
  pretrained: MeanSd;
  scratch: MeanSd;
  difference: MeanSd & { perSeed: number[] };
}

interface WidthRun {
  width: number;
  pretrain: ReturnType<typeof pretrainJson>;
  seeds: SeedRun[];
  stoppingRule: SeedSummary;
  equalSteps: SeedSummary | null;
}

function summarize(seeds: SeedRun[], variant: 'stoppingRule' | 'equalSteps'): SeedSummary | null {
  const runs = seeds.map((s) => s[variant]).filter((r) => r !== null);
  if (runs.length === 0) return null;
  const pretrained = runs.map((r) => r.pretrained.miou);
  const scratch = runs.map((r) => r.scratch.miou);
  const scores = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null);
  return {
    pretrained: meanSd(scores(pretrained)),
    scratch: meanSd(scores(scratch)),
    difference: pairedDifference(pretrained, scratch),
  };
}

function pretrainJson(pretrain: Awaited<ReturnType<typeof runPretrain>>) {
  return {
    model: pretrain.model,
    method: pretrain.method,
    backbone: pretrain.backbone,
    backend: pretrain.backend,
    epochs: pretrain.epochs,
    steps: pretrain.steps,
    seconds: pretrain.seconds,
    imagesPerSecond: pretrain.imagesPerSecond,
    loss: pretrain.loss,
  };
}

async function runDemo(o: DemoOptions, context: CommandContext) {
  const seconds: Record<string, number> = {};
  const timed = async <T>(stage: string, work: () => Promise<T> | T, quiet = false): Promise<T> => {
    const t0 = performance.now();
    if (!quiet) context.log(`demo: ${stage}…`);
    const value = await work();
    seconds[stage] = Math.round((seconds[stage] ?? 0) * 1000 + performance.now() - t0) / 1000;
    return value;
  };
  const withWorkspace = async <T>(work: (workspace: Workspace) => T | Promise<T>): Promise<T> => {
    const workspace = Workspace.open(o.workspace, { create: false });
    try {
      return await work(workspace);
    } finally {
      workspace.close();
    }
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
  // The paper's split by scan: the first half annotated (a few slices each), the rest for testing.
  const trainCount = o.subjects === 1 ? 1 : Math.ceil(o.subjects / 2);
  const train = sample.series.slice(0, trainCount);
  const test = o.subjects === 1 ? sample.series : sample.series.slice(trainCount);

  /** The seed's slices of every training series, in place of the previous seed's. */
  const annotate = (seed: number) =>
    timed(
      'annotate',
      () =>
        withWorkspace((workspace) => {
          const out: Record<string, number[]> = {};
          for (const s of train) {
            const series = workspace.requireSeries(s.seriesInstanceUid);
            deleteSliceAnnotations(workspace, series, workspace.annotatedSlices(series.key));
            out[s.seriesInstanceUid] = importAnnotations(workspace, {
              seriesId: s.seriesInstanceUid,
              labelsPath: s.labelsPath,
              count: o.annotated,
              seed,
              unknownLabels: 'background',
            }).annotatedSlices;
          }
          return out;
        }),
      true,
    );

  const finetune = (stage: string, name: string, init: string, width: number, seed: number, epochs: number | null) =>
    timed(
      stage,
      () =>
        runFinetune(
          {
            workspace: o.workspace,
            name,
            init,
            epochs,
            seed,
            backend: o.backend,
            batch: o.batch,
            lr: 0.001,
            // scratch: the architecture of the pre-trained model of this width; its intensity mapping by default (finetune-job.ts)
            ...(init === 'none' ? { size: o.size, width } : {}),
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
        ),
      true,
    );

  /** A model's scores pooled over the test subjects (evaluated now: the seed's annotated slices are left out of a within-scan score). */
  const score = (model: string) =>
    timed(
      'evaluate',
      () =>
        withWorkspace(async (workspace) => {
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
          const counts = pooled as OverlapCounts;
          const structures = counts.classes.filter((v) => v !== 0);
          const iou = counts.iou();
          return {
            miou: round(counts.miou(structures)),
            iou: Object.fromEntries(structures.map((v) => [String(v), round(iou[String(v)])])),
            slices,
            withinScan,
          };
        }),
      true,
    );

  const arm = async (stage: string, name: string, init: string, width: number, seed: number, epochs: number | null) => {
    const summary = await finetune(stage, name, init, width, seed, epochs);
    const scored = await score(name);
    const result: ArmResult = {
      model: name,
      miou: scored.miou,
      iou: scored.iou,
      epochs: summary.epochs,
      steps: summary.steps,
      stoppedBecause: summary.stopReason,
      seconds: summary.seconds,
    };
    return { result, summary, scored };
  };

  let intensity = '';
  let first: { summaries: { pretrained: unknown; scratch: unknown }; trainSlices: number; slicesScored: number } | null = null;
  let withinScan = false;
  const widths: WidthRun[] = [];
  for (const width of o.widths) {
    const pretrainName = `demo-ssmtl-t${o.t}-w${width}`;
    const pretrain = await timed(`pretrain`, () =>
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
          width,
          lr: 0.001,
          seed: o.seed,
          backend: o.backend,
          name: pretrainName,
          resume: false,
          intensity: o.intensity,
        },
        {
          emit: (event: JobEvent) => {
            if (event.type === 'progress')
              context.progress.update({
                stage: `pre-training width ${width}`,
                done: event.globalStep,
                total: event.totalSteps,
                detail: `loss ${event.loss.toFixed(4)}`,
              });
          },
        },
      ),
    );
    intensity ||= await withWorkspace((workspace) => {
      const model = readModel(workspace, pretrainName);
      return describeIntensity(recordedIntensity(model?.kind === 'pretrained' ? model.meta.intensity : undefined));
    });
    const seeds: SeedRun[] = [];
    for (let i = 0; i < o.seeds; i++) {
      const seed = o.seed + i;
      context.log(
        `demo: width ${width}, seed ${seed} (${i + 1}/${o.seeds}): annotating, fine-tuning from the pre-trained backbone and from scratch…`,
      );
      const annotatedSlices = await annotate(seed);
      const base = `demo-w${width}-seed${seed}`;
      const p = await arm('finetunePretrained', `${base}-pretrained`, pretrainName, width, seed, o.epochs);
      const s = await arm('finetuneScratch', `${base}-scratch`, 'none', width, seed, o.epochs);
      withinScan ||= p.scored.withinScan || s.scored.withinScan;
      first ??= {
        summaries: { pretrained: withoutStatus(p.summary), scratch: withoutStatus(s.summary) },
        trainSlices: p.summary.trainSlices,
        slicesScored: p.scored.slices,
      };
      // Equal steps: the arm that stopped sooner trains on, with the same seed and slices, for the other's epochs
      // (same slices and batch: the same steps per epoch); the longer arm's run is that very training.
      let equalSteps: SeedRun['equalSteps'] = null;
      if (o.epochs === null) {
        const epochs = Math.max(p.result.epochs, s.result.epochs);
        const longer = async (run: typeof p, init: string, which: string) =>
          run.result.epochs === epochs
            ? run.result
            : (await arm('finetuneEqualSteps', `${base}-${which}-equal-steps`, init, width, seed, epochs)).result;
        const pretrained = await longer(p, pretrainName, 'pretrained');
        const scratch = await longer(s, 'none', 'scratch');
        equalSteps = { steps: Math.max(pretrained.steps, scratch.steps), pretrained, scratch };
      }
      seeds.push({ seed, annotatedSlices, stoppingRule: { pretrained: p.result, scratch: s.result }, equalSteps });
    }
    widths.push({
      width,
      pretrain: pretrainJson(pretrain),
      seeds,
      stoppingRule: summarize(seeds, 'stoppingRule') as SeedSummary,
      equalSteps: summarize(seeds, 'equalSteps'),
    });
  }
  const head = widths[0];
  const firstSeed = head.seeds[0].stoppingRule;
  return {
    workspace: o.workspace,
    series: sample.series.length,
    // CONTRACT.md's fields: the first width listed; mIoU its mean over seeds (stopping rule)
    pretrain: head.pretrain,
    miou: { pretrained: head.stoppingRule.pretrained.mean, scratch: head.stoppingRule.scratch.mean },
    iou: { pretrained: firstSeed.pretrained.iou, scratch: firstSeed.scratch.iou },
    finetune: first?.summaries,
    intensity,
    seeds: o.seeds,
    widths,
    trainSeries: train.length,
    testSeries: test.length,
    trainSlices: first?.trainSlices ?? 0,
    slicesScored: first?.slicesScored ?? 0,
    /** true when a scored scan was also a training scan (--subjects 1): its other slices are neighbours of the training slices */
    withinScan,
    settings: o,
    seconds: seconds as {
      sample: number;
      import: number;
      pretrain: number;
      annotate: number;
      finetunePretrained: number;
      finetuneScratch: number;
      finetuneEqualSteps?: number;
      evaluate: number;
    },
  };
}

type DemoResult = Awaited<ReturnType<typeof runDemo>>;

/** The report: per width, a row per seed (each arm's mIoU, steps and why it stopped) and mean ± sd over seeds. */
function describeDemo(r: DemoResult): string {
  const f = (x: number | null) => (x === null ? '—' : x.toFixed(3));
  const d = (x: number | null) => (x === null ? '—' : `${x >= 0 ? '+' : ''}${x.toFixed(3)}`);
  const armText = (a: ArmResult) => `${f(a.miou)} (${a.steps} steps, ${a.stoppedBecause})`;
  const lines = [
    `workspace ${r.workspace}: ${r.series} sample series; intensities: ${r.intensity}`,
    `fine-tuned on ${r.trainSlices} annotated slices of ${r.trainSeries} scan(s) (each seed draws its own), scored on ${r.slicesScored} slices of ${r.testSeries} scan(s)` +
      (r.withinScan
        ? ' (within-scan: the scored scan is the training scan, whose other slices neighbour the annotated ones; not a score on an unseen scan — use --subjects 2 or more):'
        : ' (other scans than the training ones):'),
  ];
  for (const w of r.widths) {
    lines.push(
      '',
      `width ${w.width}: pre-trained '${w.pretrain.model}' (${w.pretrain.epochs} epochs, ${w.pretrain.steps} steps, ${formatSeconds(w.pretrain.seconds)})`,
      `| seed | pre-trained mIoU (steps, stop) | scratch mIoU (steps, stop) | difference | equal steps | pre-trained | scratch | difference |`,
      `| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |`,
    );
    for (const s of w.seeds) {
      const e = s.equalSteps;
      lines.push(
        `| ${s.seed} | ${armText(s.stoppingRule.pretrained)} | ${armText(s.stoppingRule.scratch)} | ${d(
          s.stoppingRule.pretrained.miou === null || s.stoppingRule.scratch.miou === null
            ? null
            : s.stoppingRule.pretrained.miou - s.stoppingRule.scratch.miou,
        )} | ${e ? e.steps : '—'} | ${e ? f(e.pretrained.miou) : '—'} | ${e ? f(e.scratch.miou) : '—'} | ${
          e && e.pretrained.miou !== null && e.scratch.miou !== null ? d(e.pretrained.miou - e.scratch.miou) : '—'
        } |`,
      );
    }
    const sr = w.stoppingRule;
    const eq = w.equalSteps;
    lines.push(
      `| mean ± sd (${sr.pretrained.n}) | ${formatMeanSd(sr.pretrained)} | ${formatMeanSd(sr.scratch)} | ${formatMeanSd(sr.difference, 3, true)} | | ${
        eq ? formatMeanSd(eq.pretrained) : '—'
      } | ${eq ? formatMeanSd(eq.scratch) : '—'} | ${eq ? formatMeanSd(eq.difference, 3, true) : '—'} |`,
    );
  }
  const w0 = r.widths[0];
  lines.push(
    '',
    `per class IoU at width ${w0.width}, seed ${w0.seeds[0].seed} (pre-trained / scratch): ${Object.keys(r.iou.pretrained)
      .map((v) => `${v} ${f(r.iou.pretrained[v])}/${f(r.iou.scratch[v])}`)
      .join(', ')}`,
  );
  return lines.join('\n');
}

function withoutStatus<T extends { status: unknown; loss: unknown }>(summary: T): Omit<T, 'status'> {
  const { status: _status, ...rest } = summary;
  return rest;
}
