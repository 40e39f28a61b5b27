import { describeIntensity, recordedIntensity } from '../../../shared/intensity-mapping.ts';
import { InputError } from '../../../shared/errors.ts';
import type { BackendChoice } from '../../../shared/job.ts';
import type { PredictSummary } from '../../../shared/segmentation.ts';
import { BackendUnavailableError } from '../../backends/backend-names.ts';
import { rankByUncertainty, type PredictRequest } from '../../segmentation/predict.ts';
import { IncompatibleWeightsError } from '../../segmentation/segmentation-net.ts';
import { placePredictInProcess } from '../placement/in-process.ts';
import type { PlacedPredictor, Placement } from '../placement/placed-run.ts';
import { Workspace } from '../workspace/workspace.ts';
import { exportFormatOf, exportLabels } from './export-labels.ts';
import { labelVolumesMl } from './predict-series.ts';
import { savePrediction } from './prediction-store.ts';
import { modelLabels, readModelWeights, requireSegmentationModel } from './segmentation-model.ts';

/**
 * `predict`: segments every slice, stores the result for review, and exports it when
 * asked. On a workspace that cannot be written it still segments and exports (to a
 * writable --out) and stores nothing.
 */
export interface PredictOptions {
  workspace: string;
  model: string;
  seriesId: string;
  out: string | null;
  backend: BackendChoice;
}

export async function runPredict(
  options: PredictOptions,
  hooks: {
    onSlice?: (done: number, total: number) => void;
    /** where the network runs; default: this process, on the backend options.backend picks */
    place?: Placement<PredictRequest, PlacedPredictor>;
  } = {},
): Promise<PredictSummary> {
  if (options.out) exportFormatOf(options.out);
  const workspace = Workspace.open(options.workspace, { create: false, access: 'read' });
  try {
    const series = workspace.requireSeries(options.seriesId);
    const model = requireSegmentationModel(workspace, options.model);
    const { meta } = model;
    const request: PredictRequest = {
      weights: readModelWeights(workspace, model),
      model: {
        name: options.model,
        network: meta.network,
        classes: meta.classes,
        size: meta.size,
        width: meta.width,
        seed: meta.seed,
        intensity: recordedIntensity(meta.intensity),
      },
      series: { id: series.id, slices: series.slices, rows: series.rows, cols: series.cols },
    };
    let predictor: PlacedPredictor;
    try {
      predictor = await (hooks.place ?? ((r: PredictRequest) => placePredictInProcess(workspace, options.backend, r)))(request);
    } catch (error) {
      if (error instanceof BackendUnavailableError) throw new InputError(error.message, { setting: 'backend', value: options.backend });
      if (error instanceof IncompatibleWeightsError) throw new InputError(error.message);
      throw error;
    }
    const t0 = performance.now();
    let prediction;
    try {
      prediction = await predictor.run(hooks.onSlice);
    } finally {
      await predictor.dispose();
    }
    const volumesMl = labelVolumesMl(prediction.labels, meta.classes, series.spacing);
    const suggestedSlices = rankByUncertainty(prediction.entropy, workspace.annotatedSlices(series.key));
    const uncertainty = prediction.entropy.map((h) => Math.round(h * 1e6) / 1e6);
    if (!workspace.readOnly)
      savePrediction(workspace, series, options.model, prediction.labels, {
        classes: meta.classes,
        volumesMl,
        uncertainty,
        suggestedSlices,
      });
    let out: string | null = null;
    if (options.out) {
      out = exportLabels(workspace, series, prediction.labels, modelLabels(workspace, meta), options.out, {
        description: `SSMTL Studio segmentation by model ${options.model}`,
        algorithm: `SSMTL Studio U-Net (${meta.init === 'none' ? 'trained from scratch' : `fine-tuned from ${meta.init}`})`,
      });
    }
    return {
      series: series.id,
      slices: series.slices,
      intensity: describeIntensity(recordedIntensity(meta.intensity)),
      seconds: Math.round((performance.now() - t0) / 10) / 100,
      volumesMl,
      out,
      model: options.model,
      uncertainty,
      suggestedSlices,
      stored: !workspace.readOnly,
      ...(workspace.readOnly ? { readOnly: `${workspace.dir}: ${workspace.readOnly.cause}` } : {}),
    };
  } finally {
    workspace.close();
  }
}
