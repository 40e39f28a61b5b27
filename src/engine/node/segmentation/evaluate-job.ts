import { describeIntensity, recordedIntensity } from '../../../shared/intensity-mapping.ts';
import { InputError } from '../../../shared/errors.ts';
import type { BackendChoice } from '../../../shared/job.ts';
import type { EvaluateSummary } from '../../../shared/segmentation.ts';
import { BackendUnavailableError } from '../../backends/backend-names.ts';
import { OverlapCounts } from '../../segmentation/metrics.ts';
import { readSeriesLabels } from '../annotations/label-volume.ts';
import { loadBackend } from '../load-backend.ts';
import { Workspace } from '../workspace/workspace.ts';
import { predictSeries } from './predict-series.ts';
import type { SegmentationMeta } from '../workspace/model-state.ts';
import { loadSegmentationNet, requireSegmentationModel } from './segmentation-model.ts';

/**
 * `evaluate`: per-class IoU and Dice, and mIoU over the model's structures, on every
 * slice of the series that is neither annotated nor one the model was trained on.
 * Truth values the model does not know count as background, and are reported. A series
 * the model was fine-tuned on is scored "within-scan": its other slices are neighbours of
 * the training slices, so the score says little about a scan the model has not seen;
 * `strict` refuses it.
 */
export interface EvaluateOptions {
  workspace: string;
  model: string;
  seriesId: string;
  labelsPath: string;
  backend: BackendChoice;
  /** refuse a series the model was fine-tuned on (exit 2) instead of labelling its score within-scan */
  strict?: boolean;
}

/** The slices of `seriesId` the model was fine-tuned on; null when it did not see that series. */
export function trainingSlicesOf(meta: Pick<SegmentationMeta, 'series'>, seriesId: string): number[] | null {
  const entry = (meta.series ?? []).find((s) => s.id === seriesId);
  return entry ? [...entry.slices] : null;
}

/** The refusal of `evaluate --strict` (and the experiment's rule): one line naming the series and the model. */
export function withinScanRefusal(model: string, seriesId: string, slices: number[]): string {
  const shown = slices.slice(0, 8).join(', ') + (slices.length > 8 ? ', …' : '');
  return (
    `--strict: series ${seriesId} was used to fine-tune model ${model} (slices ${shown}); a score on its other slices is within-scan, ` +
    `not a score on an unseen scan: evaluate on a series the model was not trained on, or leave out --strict to get it labelled within-scan`
  );
}

export async function evaluateSeries(
  workspace: Workspace,
  model: string,
  seriesId: string,
  labelsPath: string,
): Promise<{ counts: OverlapCounts; slicesScored: number; unknownTruthLabels: number[]; classes: number[]; withinScan: boolean }> {
  const series = workspace.requireSeries(seriesId);
  const { meta: recorded } = requireSegmentationModel(workspace, model);
  const trained = trainingSlicesOf(recorded, seriesId);
  const truth = readSeriesLabels(workspace, series, labelsPath);
  // Slices annotated now, and those the model was trained on (annotations may have changed since).
  const annotated = new Set([...workspace.annotatedSlices(series.key), ...(trained ?? [])]);
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
  return { counts, slicesScored, unknownTruthLabels, classes: meta.classes, withinScan: trained !== null };
}

export async function runEvaluate(options: EvaluateOptions): Promise<EvaluateSummary> {
  const workspace = Workspace.open(options.workspace, { create: false, access: 'read' });
  try {
    workspace.requireSeries(options.seriesId);
    // Refused before anything is loaded or computed.
    const { meta } = requireSegmentationModel(workspace, options.model);
    const trained = trainingSlicesOf(meta, options.seriesId);
    if (options.strict && trained) throw new InputError(withinScanRefusal(options.model, options.seriesId, trained));
    try {
      await loadBackend(options.backend);
    } catch (error) {
      if (error instanceof BackendUnavailableError) throw new InputError(error.message, { setting: 'backend', value: options.backend });
      throw error;
    }
    const { counts, slicesScored, unknownTruthLabels, classes, withinScan } = await evaluateSeries(
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
      intensity: describeIntensity(recordedIntensity(meta.intensity)),
      iou: pick(counts.iou()),
      miou: round(counts.miou(structures)),
      dice: pick(counts.dice()),
      withinScan,
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
