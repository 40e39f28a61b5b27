import { existsSync } from 'node:fs';
import type { JobSummary, PretrainSettings } from '../../../shared/api.ts';
import { InputError, quoteSome } from '../../../shared/errors.ts';
import { defaultBackbone, type JobEvent, type PretrainSummary } from '../../../shared/job.ts';
import { backboneProblem } from '../../../shared/pretrain-methods.ts';
import { startPretrainProcess } from '../jobs/job-processes.ts';
import { tensorflowInstalled } from '../load-backend.ts';
import { startOnBrowserGpu } from '../placement/browser-gpu/start-on-browser-gpu.ts';
import { defaultModelName, runPretrain, type PretrainOptions } from '../pretrain-job.ts';
import { isFinished, modelFiles, readModel } from '../workspace/model-state.ts';
import { pretrainDone, pretrainFailed, pretrainProgress } from './job-progress.ts';
import { launchJob, pausable } from './launch-job.ts';
import { pretrainModelName } from './names.ts';
import type { StudioSession } from './studio-session.ts';

/**
 * Pre-trains from the interface's settings: in the pre-training process, or on a page's
 * WebGPU when the settings ask for it (BrowserGpuPool.choose), the run's owner then
 * running here. A run of the same settings that was stopped continues from its checkpoint.
 */
export function launchPretrain(session: StudioSession, settings: PretrainSettings): JobSummary {
  const workspace = session.requireWorkspace();
  // Refused here, not in the job: no process starts for series that are not there.
  const unknown = workspace.unknownSeries(settings.seriesIds);
  if (unknown.length > 0) throw new InputError(`no series ${quoteSome(unknown)} in this workspace: choose among the imported series`);
  const method = settings.method;
  const backbone = settings.backbone ?? defaultBackbone(method);
  const problem = backboneProblem(method, backbone);
  if (problem) throw new InputError(problem);
  const ts = method === 'mocov2' ? [] : [settings.t];
  const finished = (candidate: string) => isFinished(readModel(workspace, candidate));
  // A model that a queued or running job trains is taken too: two runs must not share its files.
  const training = session.jobs.active().flatMap((j) => (j.kind === 'pretrain' ? j.produced : []));
  if (training.includes(settings.name))
    throw new InputError(`a pre-training of '${settings.name}' is already queued or running: wait for it, or choose another name`);
  const derived = defaultModelName({ method, backbone, ts, size: settings.size, width: settings.width, seed: 0 });
  const name = pretrainModelName(settings.name, derived, (candidate) => finished(candidate) || training.includes(candidate));
  // An interrupted or cancelled run of this name continues from its checkpoint.
  const resume = existsSync(modelFiles(workspace.dir, name).checkpoint) && !finished(name);
  const options: PretrainOptions = {
    workspace: workspace.dir,
    seriesIds: settings.seriesIds,
    method,
    backbone,
    ts,
    epochs: settings.epochs,
    batch: settings.batch,
    size: settings.size,
    width: settings.width,
    lr: 0.001,
    seed: 0,
    backend: settings.backend,
    name,
    resume,
  };
  const gpu = session.browserGpus.choose(settings.backend, tensorflowInstalled());
  const title = `Pre-training ${name}${resume ? ' (resumed)' : ''}`;
  const pretrainSettings = { ...settings, seriesIds: [...settings.seriesIds], backbone };
  const shape = { size: settings.size, width: settings.width, batch: settings.batch, backbone, heads: Math.max(1, 2 * ts.length) };
  return launchJob<PretrainSummary>(session, { kind: 'pretrain', title, produced: [name], pretrainSettings, shape }, (progress) => {
    const emit = (event: JobEvent) => progress(pretrainProgress(event));
    const handle = gpu
      ? startOnBrowserGpu((control) =>
          runPretrain(options, {
            emit,
            control,
            place: async (request) => session.browserGpus.placePretrain(gpu, workspace, request),
          }),
        )
      : startPretrainProcess(options, emit);
    return {
      result: handle.result,
      controls: pausable(handle),
      changes: 'models-changed',
      done: pretrainDone,
      failed: pretrainFailed,
    };
  });
}
