import type { PaletteLabel, PredictionStatus, SeriesStatus, StudioModel, WorkspaceStatus } from '../../../shared/api.ts';
import { MMWHS_LABELS } from '../../../shared/labels.ts';
import { readLabelSet } from '../annotations/label-set.ts';
import { listPredictions } from '../segmentation/prediction-store.ts';
import { modelLabels } from '../segmentation/segmentation-model.ts';
import { interruptedFinetunes, isFinished, readModels, segmentationMethod } from '../workspace/model-state.ts';
import { seriesInfo } from '../workspace/series-info.ts';
import type { StudioSession } from './studio-session.ts';

/**
 * The studio's reads of the workspace, as the interface lists them: series with what was
 * learnt from and predicted on them, models with whether they finished, the label
 * palette. Each store keeps its own SQL (workspace.ts, model-state.ts, prediction-store.ts).
 */
export function workspaceStatus(session: StudioSession): WorkspaceStatus {
  const workspace = session.workspaceOrNull();
  return {
    dir: session.dir,
    exists: workspace !== null,
    readOnly: workspace?.readOnly ? workspace.readOnly.cause : null,
    transport: session.options.transport,
    backend: {
      requested: session.options.backend ?? 'auto',
      lastUsed: session.compute.lastUsed,
      notes: session.compute.notes,
      gpuWorker: session.browserGpus.current(),
    },
  };
}

export function listSeries(session: StudioSession): SeriesStatus[] {
  const workspace = session.workspaceOrNull();
  if (!workspace) return [];
  const predicted = listPredictions(workspace);
  const pretrained = listModels(session).filter((m) => m.kind === 'pretrained' && m.complete);
  const records = workspace.listSeriesSummaries();
  session.planes.keepOnly(new Set(records.map((record) => record.id)));
  return seriesInfo(workspace, { series: records }).map((info, at) => {
    const predictions = (predicted.get(info.id) ?? []).map(({ model, createdAt, meta }): PredictionStatus => ({
      model,
      createdAt,
      volumesMl: meta.volumesMl ?? {},
      suggestedSlices: meta.suggestedSlices ?? [],
    }));
    const pretrainedBy = pretrained.filter((m) => m.series.includes(info.id)).map((m) => m.name);
    const plane = session.planes.of(workspace, records[at]);
    return { ...info, pretrainedBy, predictedBy: predictions.map((p) => p.model), predictions, plane };
  });
}

/** The catalogue's models, then the fine-tunings stopped before they saved one (resumable). */
export function listModels(session: StudioSession): StudioModel[] {
  const workspace = session.workspaceOrNull();
  if (!workspace) return [];
  const recorded = readModels(workspace).map((model): StudioModel => ({
    name: model.name,
    kind: model.kind,
    method: model.method,
    createdAt: model.createdAt,
    complete: isFinished(model),
    series: model.kind === 'pretrained' ? model.meta.series : [],
    ...(model.kind === 'segmentation' ? { labels: modelLabels(workspace, model.meta) } : {}),
  }));
  const interrupted = interruptedFinetunes(workspace).map(({ name, init, epochsDone, stoppedAt }): StudioModel => ({
    name,
    kind: 'segmentation',
    method: segmentationMethod(init),
    createdAt: stoppedAt,
    complete: false,
    series: [],
    resumable: { init, epochsDone },
  }));
  return [...recorded, ...interrupted];
}

export function listLabels(session: StudioSession): PaletteLabel[] {
  const workspace = session.workspaceOrNull();
  return workspace ? readLabelSet(workspace) : [...MMWHS_LABELS];
}
