import type { IntensitySpec } from './intensity-mapping.ts';
import type { Backbone, BackendChoice, PretrainMethod } from './job.ts';

/**
 * `ssmtl experiment CONFIG.json` (CONTRACT.md): the paper's protocol end to end —
 * pre-train each listed method on unlabeled volumes, fine-tune a segmentation model on a
 * few seeded labelled slices per training scan, score it on every labelled slice of the
 * test scans, run the denoising task — and its tables (Sec. 4, Tables 2–6).
 */
export type SliceStrategy = 'random' | 'even' | 'uncertainty';
export const SLICE_STRATEGIES: readonly SliceStrategy[] = ['random', 'even', 'uncertainty'];

/** One pre-training method to compare ('none': the row without pre-training). */
export interface ExperimentMethod {
  method: PretrainMethod | 'none';
  /** slice distance(s) of the pretext tasks (ssmtl, ssmtl+); default 5 */
  t: number[];
  backbone: Backbone;
  /** pre-training epochs (default: pretrain.epochs) */
  epochs: number;
  /** weight of the similarity loss (ssmtl+) */
  lambda?: number;
}

export interface LabelledScan {
  /** a NIfTI file or a DICOM folder (one series) */
  image: string;
  /** a label volume on the image's grid (NIfTI or DICOM SEG) */
  labels: string;
}

/** A config after validation: paths absolute, defaults filled in. */
export interface ExperimentConfig {
  name: string;
  size: number;
  width: number;
  batch: number;
  lr: number;
  seed: number;
  backend: BackendChoice;
  /** class name → label value; other values count as background */
  classes: Record<string, number>;
  pretrain: { volumes: string[]; epochs: number; methods: ExperimentMethod[] };
  segmentation: {
    train: LabelledScan[];
    test: LabelledScan[];
    labeledSlices: number;
    /** null: until convergence */
    epochs: number | null;
  };
  denoising: { train: string[]; test: string[]; epochs: number; noise: { a: number; b: number } } | null;
  /** seeds per row (each also redraws the labelled slices) */
  seeds: number;
  strategies: SliceStrategy[];
  allowTrainOnTest: boolean;
  /** how stored values become grey levels, for every method ('auto': by the volumes' modality) */
  intensity: IntensitySpec;
}

/** One fine-tuning of a row (method × seed). */
export interface SeedResult {
  seed: number;
  miou: number | null;
  steps: number;
  stoppedBecause: string;
  /** additions */
  iou: Record<string, number | null>;
  trainSlices: number;
  testSlices: number;
  seconds: number;
  backend: string;
  /** the labelled slices it trained on, per training scan */
  slices?: Record<string, number[]>;
}

export interface SegmentationRow {
  method: PretrainMethod | 'none';
  t: number[] | null;
  backbone: Backbone;
  iou: Record<string, number | null>;
  miou: number | null;
  miouSd: number | null;
  perSeed: SeedResult[];
  withinScan: boolean;
  /** additions: the pre-training this row started from */
  pretrain: PretrainRecord | null;
}

export interface PretrainRecord {
  model: string;
  method: PretrainMethod;
  backbone: Backbone;
  t: number[];
  epochs: number;
  lambda?: number;
  steps: number;
  seconds: number;
  backend: string;
  loss: { first: number | null; last: number | null };
}

export interface Comparison {
  method: PretrainMethod;
  backbone: Backbone;
  t: number[] | null;
  vs: 'none';
  /** mean over seeds of (mIoU of the method − mIoU without pre-training), same labelled slices */
  miouDifference: number | null;
  sd: number | null;
}

export interface StrategyRow {
  strategy: SliceStrategy;
  /** the pre-training the strategies were compared with */
  method: PretrainMethod | 'none';
  miou: number | null;
  miouSd: number | null;
  perSeed: SeedResult[];
}

export interface DenoisingRow {
  method: PretrainMethod | 'none';
  backbone: Backbone;
  t: number[] | null;
  psnr: number;
  /** additions */
  noisyPsnr: number;
  seed: number;
  steps: number;
  seconds: number;
  backend: string;
  trainSlices: number;
  testSlices: number;
}

export interface ExperimentResult {
  name: string;
  seeds: number;
  segmentation: SegmentationRow[];
  comparisons: Comparison[];
  strategies: StrategyRow[];
  denoising: DenoisingRow[];
  /** additions: what produced it */
  settings: Omit<ExperimentConfig, 'pretrain' | 'segmentation' | 'denoising'> & {
    pretrainEpochs: number;
    labeledSlices: number;
    segmentationEpochs: number | null;
    denoisingEpochs: number | null;
    trainScans: number;
    testScans: number;
    pretrainVolumes: number;
  };
  backend: string;
  seconds: number;
  /** rows still to run (a partial result, e.g. --collect before every task is done) */
  missing: string[];
}

/** A stable short key of a method entry, e.g. "ssmtlplus-t5-resnet50-fcn-e100-l1" (names its models and result files). */
export function methodKey(m: ExperimentMethod): string {
  const parts = [m.method === 'ssmtl+' ? 'ssmtlplus' : m.method];
  if (m.t.length > 0) parts.push(`t${m.t.join('-')}`);
  parts.push(m.backbone);
  if (m.method !== 'none') parts.push(`e${m.epochs}`);
  if (m.lambda !== undefined) parts.push(`l${m.lambda}`);
  return parts.join('-');
}
