import {
  methodKey,
  type Comparison,
  type DenoisingRow,
  type ExperimentConfig,
  type ExperimentMethod,
  type ExperimentResult,
  type PretrainRecord,
  type SeedResult,
  type SegmentationRow,
  type SliceStrategy,
  type StrategyRow,
} from '../../shared/experiment.ts';
import { mean, pairedDifference, round4 as round, sd } from './seed-statistics.ts';

/**
 * An experiment's results from its units (experiment/run-experiment.ts writes one file per
 * unit, so a killed run continues where it stopped and a Slurm array's tasks can be
 * merged): each row's mean and standard deviation over seeds, the paired comparison of
 * every pre-training method with the row without pre-training (same seeds, hence the same
 * labelled slices), and the slice-selection strategies.
 */
export interface ExperimentUnits {
  /** by methodKey */
  pretrain: Map<string, PretrainRecord>;
  /** by segmentationUnit(…) */
  segmentation: Map<string, SeedResult>;
  /** by methodKey */
  denoising: Map<string, DenoisingRow>;
}

export function seedsOf(config: Pick<ExperimentConfig, 'seed' | 'seeds'>): number[] {
  return Array.from({ length: config.seeds }, (_, i) => config.seed + i);
}

export function segmentationUnit(method: ExperimentMethod, strategy: SliceStrategy, seed: number): string {
  return `${methodKey(method)}/${strategy}/seed${seed}`;
}

/** The method the strategies are compared with: the first pre-training listed, else the first row. */
export function strategyMethod(config: ExperimentConfig): ExperimentMethod {
  return config.pretrain.methods.find((m) => m.method !== 'none') ?? config.pretrain.methods[0];
}

/** Every unit of work, in the order a run does them: "pretrain/<key>", "segmentation/<key>/<strategy>/seed<s>", "denoising/<key>". */
export function plannedUnits(config: ExperimentConfig): string[] {
  const units: string[] = [];
  const seeds = seedsOf(config);
  for (const m of config.pretrain.methods) {
    if (m.method !== 'none') units.push(`pretrain/${methodKey(m)}`);
    for (const seed of seeds) units.push(`segmentation/${segmentationUnit(m, 'random', seed)}`);
  }
  const compared = strategyMethod(config);
  for (const strategy of config.strategies)
    if (strategy !== 'random') for (const seed of seeds) units.push(`segmentation/${segmentationUnit(compared, strategy, seed)}`);
  if (config.denoising) for (const m of config.pretrain.methods) units.push(`denoising/${methodKey(m)}`);
  return units;
}

export function aggregate(
  config: ExperimentConfig,
  units: ExperimentUnits,
  run: { backend: string; seconds: number; withinScan: boolean; trainScans: number; testScans: number },
): ExperimentResult {
  const seeds = seedsOf(config);
  const classNames = Object.keys(config.classes);
  const rowOf = (m: ExperimentMethod, strategy: SliceStrategy) => {
    const perSeed = seeds
      .map((s) => units.segmentation.get(segmentationUnit(m, strategy, s)))
      .filter((r): r is SeedResult => r !== undefined);
    const mious = perSeed.map((r) => r.miou).filter((v): v is number => v !== null);
    const iou = Object.fromEntries(
      classNames.map((c) => [c, round(mean(perSeed.map((r) => r.iou[c]).filter((v): v is number => v !== null && v !== undefined)))]),
    );
    return { perSeed, iou, miou: round(mean(mious)), miouSd: round(sd(mious)) };
  };
  const segmentation: SegmentationRow[] = config.pretrain.methods.map((m) => ({
    method: m.method,
    t: m.t.length > 0 ? m.t : null,
    backbone: m.backbone,
    ...rowOf(m, 'random'),
    withinScan: run.withinScan,
    pretrain: m.method === 'none' ? null : (units.pretrain.get(methodKey(m)) ?? null),
  }));
  const comparisons: Comparison[] = [];
  for (const m of config.pretrain.methods) {
    if (m.method === 'none') continue;
    const baseline =
      config.pretrain.methods.find((b) => b.method === 'none' && b.backbone === m.backbone) ??
      config.pretrain.methods.find((b) => b.method === 'none');
    if (!baseline) continue;
    const difference = pairedDifference(
      seeds.map((s) => units.segmentation.get(segmentationUnit(m, 'random', s))?.miou),
      seeds.map((s) => units.segmentation.get(segmentationUnit(baseline, 'random', s))?.miou),
    );
    comparisons.push({
      method: m.method,
      backbone: m.backbone,
      t: m.t.length > 0 ? m.t : null,
      vs: 'none',
      miouDifference: difference.mean,
      sd: difference.sd,
    });
  }
  const compared = strategyMethod(config);
  const strategies: StrategyRow[] = config.strategies.map((strategy) => {
    const { perSeed, miou, miouSd } = rowOf(compared, strategy);
    return { strategy, method: compared.method, miou, miouSd, perSeed };
  });
  const denoising = config.denoising
    ? config.pretrain.methods.map((m) => units.denoising.get(methodKey(m))).filter((r): r is DenoisingRow => r !== undefined)
    : [];
  const done = new Set<string>([
    ...[...units.pretrain.keys()].map((k) => `pretrain/${k}`),
    ...[...units.segmentation.keys()].map((k) => `segmentation/${k}`),
    ...[...units.denoising.keys()].map((k) => `denoising/${k}`),
  ]);
  const { pretrain, segmentation: seg, denoising: den, ...settings } = config;
  return {
    name: config.name,
    seeds: config.seeds,
    segmentation,
    comparisons,
    strategies,
    denoising,
    settings: {
      ...settings,
      pretrainEpochs: pretrain.epochs,
      labeledSlices: seg.labeledSlices,
      segmentationEpochs: seg.epochs,
      denoisingEpochs: den?.epochs ?? null,
      trainScans: run.trainScans,
      testScans: run.testScans,
      pretrainVolumes: pretrain.volumes.length,
    },
    backend: run.backend,
    seconds: Math.round(run.seconds * 10) / 10,
    missing: plannedUnits(config).filter((u) => !done.has(u)),
  };
}
