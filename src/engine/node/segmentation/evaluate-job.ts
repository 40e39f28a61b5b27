import { InputError } from '../../../shared/errors.ts';
import type { BackendChoice } from '../../../shared/job.ts';
import type { EvaluateSummary } from '../../../shared/segmentation.ts';
import { BackendUnavailableError } from '../../backends/backend-names.ts';
import { OverlapCounts } from '../../segmentation/metrics.ts';
import { readSeriesLabels } from '../annotations/label-volume.ts';
import { loadBackend } from '../load-backend.ts';
import { Workspace } from '../workspace/workspace.ts';
import { predictSeries } from './predict-series.ts';
import { loadSegmentationNet } from './segmentation-model.ts';

/**
 * `evaluate`: per-class IoU and Dice, and mIoU over the model's structures, on every
 * slice of the series that is not annotated (the annotated ones were seen in training).
 * Truth values the model does not know count as background, and are reported.
 */
export interface EvaluateOptions {
  workspace: string;
  model: string;
  seriesId: string;
  labelsPath: string;
  backend: BackendChoice;
}

export async function evaluateSeries(
  workspace: Workspace,
  model: string,
  seriesId: string,
  labelsPath: string,
): Promise<{ counts: OverlapCounts; slicesScored: number; unknownTruthLabels: number[]; classes: number[] }> {
  const series = workspace.requireSeries(seriesId);
  const truth = readSeriesLabels(workspace, series, labelsPath);
  const annotated = new Set(workspace.annotatedSlices(series.key));
  const { net, meta } = loadSegmentationNet(workspace, model);
  let prediction;
  try {
    prediction = await predictSeries(workspace, net, meta, series);
  } finally {
    net.dispose();
  }
  const known = new Set(meta.classes);
  const unknownTruthLabels = truth.values.filter((v) => !known.has(v));
  const counts = new OverlapCounts(meta.classes);
  const plane = series.rows * series.cols;
  let slicesScored = 0;
  for (let k = 0; k < series.slices; k++) {
    if (annotated.has(k)) continue;
    const t = truth.slice(k);
    if (unknownTruthLabels.length > 0) for (let p = 0; p < t.length; p++) if (!known.has(t[p])) t[p] = 0;
    counts.add(prediction.labels.subarray(k * plane, (k + 1) * plane), t);
    slicesScored++;
  }
  return { counts, slicesScored, unknownTruthLabels, classes: meta.classes };
}

export async function runEvaluate(options: EvaluateOptions): Promise<EvaluateSummary> {
  const workspace = Workspace.open(options.workspace, { create: false, access: 'read' });
  try {
    workspace.requireSeries(options.seriesId);
    try {
      await loadBackend(options.backend);
    } catch (error) {
      if (error instanceof BackendUnavailableError) throw new InputError(`--backend ${options.backend}: ${error.message}`);
      throw error;
    }
    const { counts, slicesScored, unknownTruthLabels, classes } = await evaluateSeries(
      workspace,
      options.model,
      options.seriesId,
      options.labelsPath,
    );
    if (slicesScored === 0) throw new InputError(`every slice of series ${options.seriesId} is annotated: nothing is left to score`);
    const structures = classes.filter((v) => v !== 0);
    const pick = (scores: Record<string, number | null>) =>
      Object.fromEntries(structures.map((v) => [String(v), round(scores[String(v)])]));
    return {
      series: options.seriesId,
      slicesScored,
      iou: pick(counts.iou()),
      miou: round(counts.miou(structures)),
      dice: pick(counts.dice()),
      model: options.model,
      unknownTruthLabels,
    };
  } finally {
    workspace.close();
  }
}

export function round(x: number | null | undefined): number | null {
  return x === null || x === undefined ? null : Math.round(x * 1e4) / 1e4;
}
