import { InputError } from '../../../shared/errors.ts';
import type { BackendChoice } from '../../../shared/job.ts';
import type { PredictSummary } from '../../../shared/segmentation.ts';
import { BackendUnavailableError } from '../../backends/backend-names.ts';
import { predictSlices, rankByUncertainty, type PlacedPredictor, type PredictRequest } from '../../segmentation/predict.ts';
import { createSegmentationNet, IncompatibleWeightsError, loadAll } from '../../segmentation/segmentation-net.ts';
import { readLabelSet } from '../annotations/label-set.ts';
import { loadBackend } from '../load-backend.ts';
import { Workspace } from '../workspace/workspace.ts';
import { exportFormatOf, exportLabels } from './export-labels.ts';
import { labelVolumesMl } from './predict-series.ts';
import { savePrediction } from './prediction-store.ts';
import { readModelWeights, requireSegmentationModel } from './segmentation-model.ts';

/** `predict`: segments every slice, stores the result for review, and exports it when asked. */
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
    place?: (request: PredictRequest) => Promise<PlacedPredictor>;
  } = {},
): Promise<PredictSummary> {
  if (options.out) exportFormatOf(options.out);
  const workspace = Workspace.open(options.workspace, { create: false });
  try {
    const series = workspace.requireSeries(options.seriesId);
    const { record, meta } = requireSegmentationModel(workspace, options.model);
    const request: PredictRequest = {
      weights: readModelWeights(workspace, record),
      model: { name: options.model, network: meta.network, classes: meta.classes, size: meta.size, width: meta.width, seed: meta.seed },
      series: { id: series.id, slices: series.slices, rows: series.rows, cols: series.cols },
    };
    let predictor: PlacedPredictor;
    try {
      predictor = await (hooks.place ?? ((r: PredictRequest) => predictLocally(workspace, options.backend, r)))(request);
    } catch (error) {
      if (error instanceof BackendUnavailableError) throw new InputError(`--backend ${options.backend}: ${error.message}`);
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
    savePrediction(workspace, series, options.model, prediction.labels, { classes: meta.classes, volumesMl, uncertainty, suggestedSlices });
    let out: string | null = null;
    if (options.out) {
      const known = new Map(readLabelSet(workspace).map((l) => [l.value, l]));
      const segments = meta.classes.filter((v) => v !== 0).map((v) => known.get(v) ?? { value: v, name: `label ${v}`, color: '#808080' });
      out = exportLabels(workspace, series, prediction.labels, segments, options.out, {
        description: `SSMTL Studio segmentation by model ${options.model}`,
        algorithm: `SSMTL Studio U-Net (${meta.init === 'none' ? 'trained from scratch' : `fine-tuned from ${meta.init}`})`,
      });
    }
    return {
      series: series.id,
      slices: series.slices,
      seconds: Math.round((performance.now() - t0) / 10) / 100,
      volumesMl,
      out,
      model: options.model,
      uncertainty,
      suggestedSlices,
    };
  } finally {
    workspace.close();
  }
}

/** Segmentation in this process, on the tfjs backend `choice` resolves to. */
async function predictLocally(workspace: Workspace, choice: BackendChoice, request: PredictRequest): Promise<PlacedPredictor> {
  const backend = await loadBackend(choice);
  const { model, series } = request;
  const net = createSegmentationNet(model.network ?? 'unet', model.width, model.classes, model.seed);
  try {
    loadAll(net, request.weights, `model '${model.name}'`);
  } catch (error) {
    net.dispose();
    throw error;
  }
  return {
    backend,
    run: (onSlice) => predictSlices(net, model, series, (k) => workspace.readSlice(series.id, k), onSlice),
    dispose: async () => net.dispose(),
  };
}
