import type { JobSummary, PredictSettings } from '../../../shared/api.ts';
import { InputError } from '../../../shared/errors.ts';
import type { PredictSummary } from '../../../shared/segmentation.ts';
import { startPredictProcess } from '../jobs/job-processes.ts';
import { tensorflowInstalled } from '../load-backend.ts';
import { startOnBrowserGpu } from '../placement/browser-gpu/start-on-browser-gpu.ts';
import { runPredict, type PredictOptions } from '../segmentation/predict-job.ts';
import { modelLabels } from '../segmentation/segmentation-model.ts';
import { readModel } from '../workspace/model-state.ts';
import { predictDone, predictProgress } from './job-progress.ts';
import { modelShape } from './job-limits.ts';
import { launchJob } from './launch-job.ts';
import type { StudioSession } from './studio-session.ts';

/** Segments every slice of a series with a segmentation model (in the predict process, or on a page's WebGPU). */
export function launchPredict(session: StudioSession, settings: PredictSettings): JobSummary {
  const workspace = session.requireWorkspace();
  const series = workspace.requireSeries(settings.seriesId);
  const model = readModel(workspace, settings.model);
  if (model?.kind !== 'segmentation') throw new InputError(`no segmentation model '${settings.model}': fine-tune one first`);
  // The summary names the structures as the model learnt them.
  const names = new Map(modelLabels(workspace, model.meta).map((label) => [label.value, label.name]));
  const shape = modelShape(model, { batch: 1, heads: 1, voxels: series.rows * series.cols * series.slices });
  const backend = settings.backend ?? session.options.backend ?? 'auto';
  const gpu = session.browserGpus.choose(backend, tensorflowInstalled());
  const title = `Segmenting ${series.description ?? series.id} with ${settings.model}`;
  return launchJob<PredictSummary>(session, { kind: 'predict', title, produced: [settings.model], shape }, (progress) => {
    const options: PredictOptions = { workspace: workspace.dir, model: settings.model, seriesId: series.id, out: null, backend };
    const onSlice = (done: number, total: number) => progress(predictProgress(done, total));
    const handle = gpu
      ? startOnBrowserGpu((control) =>
          runPredict(options, { onSlice, place: async (request) => session.browserGpus.placePredict(gpu, request, control) }),
        )
      : startPredictProcess(options, ({ done, total }) => onSlice(done, total));
    return {
      result: handle.result,
      controls: { cancel: () => handle.cancel() },
      changes: 'series-changed',
      done: (summary) => {
        // The viewer asks for the new prediction's slices: the cached volume is stale.
        session.pixels.forget();
        return predictDone(summary, gpu !== null, names);
      },
    };
  });
}
