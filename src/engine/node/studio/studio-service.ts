import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type {
  AnnotationSaved,
  ExportRequest,
  ExportResult,
  FinetuneSettings,
  JobKind,
  JobSummary,
  PacsStatus,
  PaletteLabel,
  PredictSettings,
  PredictionStatus,
  PretrainSettings,
  SeriesStatus,
  StudioEvent,
  StudioModel,
  StudioMethod,
  WorkspaceStatus,
} from '../../../shared/api.ts';
import { validateCall } from '../../../shared/api-validation.ts';
import { InputError, errorMessage, quoteSome } from '../../../shared/errors.ts';
import { defaultBackbone, type BackendChoice, type JobCommand, type JobEvent, type PretrainSummary } from '../../../shared/job.ts';
import { backboneProblem } from '../../../shared/pretrain-methods.ts';
import type { ImportResult } from '../../../shared/series.ts';
import type { PacsEchoResult, PacsEntry, PacsFindResult, PacsQuery, PacsStoreResult } from '../../../shared/pacs.ts';
import type { Progress } from '../../../shared/progress.ts';
import type { PixelRoute } from '../../../shared/pixel-urls.ts';
import { MMWHS_LABELS } from '../../../shared/labels.ts';
import type { PredictSummary, SegmentationJobEvent } from '../../../shared/segmentation.ts';
import { deleteSliceAnnotations, readSliceAnnotation, saveSliceAnnotations } from '../annotations/annotation-store.ts';
import { readLabelSet } from '../annotations/label-set.ts';
import { replaceLabelSet } from '../annotations/edit-label-set.ts';
import { compactTimestamp, exportToWorkspace } from '../segmentation/export-request.ts';
import {
  DEFAULT_FINETUNE,
  FINETUNE_CHECKPOINT,
  runFinetune,
  type FinetuneOptions,
  type FinetuneOutcome,
} from '../segmentation/finetune-job.ts';
import { readCheckpointHeader } from '../checkpoint-file.ts';
import { runPredict } from '../segmentation/predict-job.ts';
import { seriesPlaneOf } from './series-plane.ts';
import { readPrediction, type PredictionMeta } from '../segmentation/prediction-store.ts';
import type { GpuAdapterSummary, GpuReport, GpuUploadPart } from '../../../shared/gpu-worker.ts';
import { GpuWorkers } from '../gpu-worker/gpu-workers.ts';
import { startOnGpuWorker } from '../gpu-worker/start-on-gpu-worker.ts';
import {
  startFinetuneProcess,
  startImportProcess,
  startPacsGetProcess,
  startPredictProcess,
  startPretrainProcess,
} from '../jobs/job-processes.ts';
import type { JobProcess } from '../process/start-job-process.ts';
import { JobFailedError } from '../process/job-failed-error.ts';
import { tensorflowInstalled } from '../load-backend.ts';
import { defaultModelName, runPretrain, type PretrainOptions } from '../pretrain-job.ts';
import { seriesInfo } from '../workspace/series-info.ts';
import { CATALOGUE_FILE, Workspace, type SeriesRecord } from '../workspace/workspace.ts';
import { PacsService } from '../pacs/pacs-service.ts';
import { JobRegistry, type JobControls } from './job-registry.ts';

/** Fine-tuning from scratch (no pre-trained model to match): small enough for a workstation CPU. */
const SCRATCH_SIZE = 128;
const SCRATCH_WIDTH = 16;
/** Training on a GPU worker checkpoints at least this often (as the job processes do). */
const CHECKPOINT_INTERVAL_MS = 5 * 60 * 1000;

/**
 * The engine behind the interface: one workspace, the jobs started from the interface,
 * and the pixel answers for the URL routes. `ssmtl serve` hosts it in its own process;
 * Electron hosts it in the engine process it starts (see src/main). It never runs long
 * work itself: imports and training run in child processes, so the serving thread only
 * answers catalogue queries and reads single slices.
 *
 * Job states follow shared/job.ts:  starting ──► running ◄──► paused ──► done | cancelled | failed
 */
export interface StudioServiceOptions {
  workspace: string;
  transport: WorkspaceStatus['transport'];
  backend?: BackendChoice;
}

export interface PixelAnswer {
  bytes: Uint8Array;
  rows: number;
  cols: number;
}

export class StudioService {
  readonly dir: string;
  private workspaceHandle: Workspace | null = null;
  private readonly listeners = new Set<(event: StudioEvent) => void>();
  readonly jobs: JobRegistry;
  private lastBackend: string | null = null;
  private lastBackendNotes: string[] = [];
  /** results of jobs still running, awaited on shutdown so their last checkpoint lands */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** pages that lend their WebGPU adapter to training */
  private readonly gpuWorkers = new GpuWorkers((workerId, task) => this.emit({ type: 'gpu-task', workerId, task }));
  /** configured PACS: configuring one is the first thing a workspace may see, so it creates the workspace */
  private readonly pacs = new PacsService(
    () => this.workspaceOrNull() ?? (this.workspaceHandle = Workspace.open(this.dir, { create: true })),
  );

  constructor(private readonly options: StudioServiceOptions) {
    this.dir = resolve(options.workspace);
    this.jobs = new JobRegistry((event) => this.emit(event));
  }

  onEvent(listener: (event: StudioEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: StudioEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener that throws (a closed socket) must not stop the others.
      }
    }
  }

  /** Validates and dispatches one call that arrived from a renderer. */
  async call(method: unknown, params: unknown): Promise<unknown> {
    const checked = validateCall(method, params);
    const handler = this[checked.method as StudioMethod] as (...args: unknown[]) => Promise<unknown>;
    return handler.apply(this, checked.params);
  }

  /** The open workspace, or null while nothing has been imported yet. */
  private workspaceOrNull(): Workspace | null {
    if (!this.workspaceHandle && existsSync(join(this.dir, CATALOGUE_FILE))) {
      this.workspaceHandle = Workspace.open(this.dir, { create: false });
    }
    return this.workspaceHandle;
  }

  private requireWorkspace(): Workspace {
    const workspace = this.workspaceOrNull();
    if (!workspace) throw new InputError(`the workspace ${this.dir} is empty: import a folder or the sample first`);
    return workspace;
  }

  async workspace(): Promise<WorkspaceStatus> {
    return {
      dir: this.dir,
      exists: this.workspaceOrNull() !== null,
      transport: this.options.transport,
      backend: {
        requested: this.options.backend ?? 'auto',
        lastUsed: this.lastBackend,
        notes: this.lastBackendNotes,
        gpuWorker: this.gpuWorkers.current(),
      },
    };
  }

  async listSeries(): Promise<SeriesStatus[]> {
    const workspace = this.workspaceOrNull();
    if (!workspace) return [];
    const predicted = predictionsBySeries(workspace);
    const pretrained = (await this.listModels()).filter((m) => m.kind === 'pretrained' && m.complete);
    return seriesInfo(workspace).map((info) => {
      const predictions = predicted.get(info.id) ?? [];
      const pretrainedBy = pretrained.filter((m) => m.series.includes(info.id)).map((m) => m.name);
      return { ...info, pretrainedBy, predictedBy: predictions.map((p) => p.model), predictions, plane: seriesPlaneOf(workspace, info.id) };
    });
  }

  async listModels(): Promise<StudioModel[]> {
    const workspace = this.workspaceOrNull();
    if (!workspace) return [];
    const recorded = workspace.listModels().map(({ name, kind, method, createdAt, meta }): StudioModel => {
      const m = (meta ?? {}) as { complete?: boolean; series?: unknown };
      // Segmentation models are recorded only once trained; pre-training records progress.
      const complete = kind === 'segmentation' ? m.complete !== false : m.complete === true;
      const series = Array.isArray(m.series) ? m.series.filter((s): s is string => typeof s === 'string') : [];
      return { name, kind, method, createdAt, complete, series };
    });
    return [...recorded, ...interruptedFinetunes(workspace, new Set(recorded.map((m) => m.name)))];
  }

  async listLabels(): Promise<PaletteLabel[]> {
    const workspace = this.workspaceOrNull();
    return workspace ? readLabelSet(workspace) : [...MMWHS_LABELS];
  }

  async saveLabels(labels: PaletteLabel[]): Promise<PaletteLabel[]> {
    const saved = replaceLabelSet(this.requireWorkspace(), labels);
    this.emit({ type: 'labels-changed' });
    return saved;
  }

  async listJobs(): Promise<JobSummary[]> {
    return this.jobs.list();
  }

  async startImport(paths: string[]): Promise<JobSummary> {
    if (paths.length === 0) throw new InputError('give at least one file or folder to import');
    const absolute = paths.map((p) => resolve(p.trim()));
    for (const path of absolute)
      if (!existsSync(path)) throw new InputError(`nothing at ${path}: check the folder's path (the full path on this computer)`);
    const title = `Importing ${absolute.length === 1 ? absolute[0] : `${absolute.length} paths`}`;
    return this.runImport(title, (onProgress) => startImportProcess({ workspace: this.dir, paths: absolute, sample: false }, onProgress));
  }

  async startImportSample(): Promise<JobSummary> {
    const title = 'Importing the built-in sample (synthetic chest CT)';
    return this.runImport(title, (onProgress) => startImportProcess({ workspace: this.dir, paths: [], sample: true }, onProgress));
  }

  /** An import job: a folder, the sample, or series retrieved from a PACS, each in its own process. */
  private runImport(title: string, start: (onProgress: (progress: Progress) => void) => JobProcess<ImportResult>): JobSummary {
    if (this.jobs.running().some((j) => j.kind === 'import')) throw new InputError('an import is already running: wait for it to finish');
    return this.launchJob<ImportResult>('import', title, (jobId) => {
      const handle = start((progress) => {
        this.jobs.update(jobId(), {
          state: 'running',
          fraction: progress.total > 0 ? progress.done / progress.total : 0,
          detail: `${progress.stage} ${progress.done}/${progress.total}`,
        });
      });
      return {
        result: handle.result,
        controls: { cancel: () => handle.cancel() },
        done: (result) => {
          const workspace = this.workspaceOrNull();
          for (const series of result.imported) workspace?.releaseSeries(series.id);
          return {
            state: 'done',
            fraction: 1,
            detail: `${result.imported.length} series imported${result.skipped.length ? `, ${result.skipped.length} files skipped` : ''}`,
            produced: result.imported.map((s) => s.id),
            skipped: result.skipped,
            message: result.imported.length === 0 ? 'No image series found there.' : null,
          };
        },
        changes: 'series-changed',
      };
    });
  }

  async startPretrain(settings: PretrainSettings): Promise<JobSummary> {
    const workspace = this.requireWorkspace();
    // Refused here, not in the job: no process starts for series that are not there.
    const unknown = workspace.unknownSeries(settings.seriesIds);
    if (unknown.length > 0) throw new InputError(`no series ${quoteSome(unknown)} in this workspace: choose among the imported series`);
    if (this.jobs.running().some((j) => j.kind === 'pretrain' || j.kind === 'finetune')) {
      throw new InputError('a training job is already running: pause or cancel it first');
    }
    const method = settings.method;
    const backbone = settings.backbone ?? defaultBackbone(method);
    const problem = backboneProblem(method, backbone);
    if (problem) throw new InputError(problem);
    const ts = method === 'mocov2' ? [] : [settings.t];
    const derived = defaultModelName({ method, backbone, ts, size: settings.size, width: settings.width, seed: 0 });
    const finished = (candidate: string) => (workspace.getModel(candidate)?.meta as { complete?: boolean } | undefined)?.complete === true;
    const hasCheckpoint = (candidate: string) => existsSync(join(workspace.dir, 'models', candidate, 'checkpoint.bin'));
    let name = settings.name || derived;
    if (finished(name)) {
      if (settings.name)
        throw new InputError(`a finished model named '${name}' already exists: choose another name, or leave the name empty`);
      // The same settings again: a new run beside the finished one (or the interrupted next one, resumed).
      for (let n = 2; finished(name); n++) name = `${derived}-run${n}`;
    }
    // An interrupted or cancelled run of this name continues from its checkpoint.
    const resume = hasCheckpoint(name) && !finished(name);
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
    // A page's WebGPU when the settings ask for it (see GpuWorkers.choose), else a job process.
    const gpuWorker = this.gpuWorkers.choose(settings.backend, tensorflowInstalled());
    return this.launchJob<PretrainSummary>('pretrain', `Pre-training ${name}${resume ? ' (resumed)' : ''}`, (jobId) => {
      const onEvent = (event: JobEvent) => this.onPretrainEvent(jobId(), event);
      const handle = gpuWorker
        ? startOnGpuWorker((control) =>
            runPretrain(options, {
              emit: onEvent,
              control,
              place: async (request) => this.gpuWorkers.placePretrain(gpuWorker, workspace, request, CHECKPOINT_INTERVAL_MS),
            }),
          )
        : startPretrainProcess(options, onEvent);
      return {
        result: handle.result,
        controls: pausable(handle),
        produced: [name],
        changes: 'models-changed',
        done: (summary) => {
          if (summary.status !== 'done')
            return { state: 'cancelled', message: 'Stopped; its checkpoint is kept: start the same settings again to resume.' };
          const loss = `loss ${fmt(summary.loss.first)} → ${fmt(summary.loss.last)}`;
          return {
            state: 'done',
            fraction: 1,
            message: `Model ${summary.model}: ${plural(summary.epochs, 'epoch')} in ${Math.round(summary.seconds)} s on ${summary.backend}, ${loss}`,
          };
        },
        failed: (error) => ({
          message: `${error instanceof JobFailedError && error.kind === 'nan' ? 'Training diverged: ' : ''}${errorMessage(error)}`,
        }),
      };
    });
  }

  private onPretrainEvent(id: string, event: JobEvent): void {
    switch (event.type) {
      case 'started':
        this.lastBackend = event.backend;
        this.lastBackendNotes = event.backendNotes;
        this.jobs.update(
          id,
          { state: 'running', backend: event.backend, backendNotes: event.backendNotes, detail: `epoch 1/${event.epochs}` },
          { urgent: true },
        );
        break;
      case 'progress':
        this.jobs.addLoss(id, { step: event.globalStep, losses: event.headLosses });
        this.jobs.update(id, {
          fraction: event.totalSteps > 0 ? event.globalStep / event.totalSteps : 0,
          etaSeconds: Number.isFinite(event.etaSeconds) ? event.etaSeconds : null,
          detail: `epoch ${event.epoch + 1}/${event.epochs} · step ${event.globalStep}/${event.totalSteps} · loss ${event.loss.toFixed(4)} · ${event.imagesPerSecond.toFixed(1)} img/s`,
        });
        break;
      case 'state':
        if (event.state === 'running' || event.state === 'paused') this.jobs.update(id, { state: event.state }, { urgent: true });
        break;
      case 'log':
        // e.g. a GPU worker loading slices before its first step
        this.jobs.update(id, { detail: event.message });
        break;
      default:
        break;
    }
  }

  async startFinetune(settings: FinetuneSettings): Promise<JobSummary> {
    const workspace = this.requireWorkspace();
    if (this.jobs.running().some((j) => j.kind === 'pretrain' || j.kind === 'finetune' || j.kind === 'predict')) {
      throw new InputError('a training job is already running: wait for it, or pause or cancel it');
    }
    const init = settings.init ?? 'none';
    const name = settings.name || `seg-${init === 'none' ? 'scratch' : init}`.slice(0, 80) + `-${compactTimestamp()}`;
    const options: FinetuneOptions = {
      workspace: workspace.dir,
      name,
      init,
      epochs: settings.epochs,
      seed: 0,
      backend: settings.backend,
      batch: DEFAULT_FINETUNE.batch,
      lr: DEFAULT_FINETUNE.lr,
      // From scratch there is no pre-trained size to follow: a size and width a workstation CPU can train.
      ...(init === 'none' ? { size: SCRATCH_SIZE, width: SCRATCH_WIDTH } : {}),
      // A stopped fine-tuning (listed with `resumable`) continues from its checkpoint.
      resume: Boolean(settings.name) && !workspace.getModel(name) && existsSync(join(workspace.dir, 'models', name, FINETUNE_CHECKPOINT)),
    };
    const gpuWorker = this.gpuWorkers.choose(settings.backend, tensorflowInstalled());
    const title = `Fine-tuning ${name} (${init === 'none' ? 'from random weights' : `from ${init}`})${options.resume ? ', resumed' : ''}`;
    return this.launchJob<FinetuneOutcome>('finetune', title, (jobId) => {
      const onEvent = (event: SegmentationJobEvent) => this.onFinetuneEvent(jobId(), event);
      const handle = gpuWorker
        ? startOnGpuWorker((control) =>
            runFinetune(options, {
              emit: onEvent,
              control,
              place: async (request) => this.gpuWorkers.placeFinetune(gpuWorker, request, CHECKPOINT_INTERVAL_MS),
            }),
          )
        : startFinetuneProcess(options, onEvent);
      return {
        result: handle.result,
        controls: pausable(handle),
        produced: [name],
        changes: 'models-changed',
        done: (summary) => {
          if (summary.status !== 'done')
            return { state: 'cancelled', message: 'Stopped at a checkpoint: Resume on the Fine-tune & Review screen continues it.' };
          if (settings.predictSeriesId && workspace.findSeries(settings.predictSeriesId)) {
            void this.startPredict({ model: summary.model, seriesId: settings.predictSeriesId, backend: settings.backend }).catch(
              (error: unknown) =>
                this.jobs.update(
                  jobId(),
                  { message: `${this.jobs.get(jobId())?.message ?? ''} · could not segment the series: ${errorMessage(error)}` },
                  { urgent: true },
                ),
            );
          }
          const trained = `${plural(summary.trainSlices, 'slice')}, ${plural(summary.epochs, 'epoch')} in ${Math.round(summary.seconds)} s on ${summary.backend}`;
          return { state: 'done', fraction: 1, message: `Model ${summary.model}: ${trained}` };
        },
      };
    });
  }

  private onFinetuneEvent(id: string, event: SegmentationJobEvent): void {
    switch (event.type) {
      case 'started':
        this.lastBackend = event.backend;
        this.lastBackendNotes = event.backendNotes;
        this.jobs.update(
          id,
          {
            state: 'running',
            backend: event.backend,
            backendNotes: event.backendNotes,
            detail: `${event.trainSlices} annotated slices · classes ${event.classes.join(', ')}`,
          },
          { urgent: true },
        );
        break;
      case 'progress': {
        this.jobs.addLoss(id, { step: event.globalStep, losses: { loss: event.loss } });
        const total = event.totalSteps;
        this.jobs.update(id, {
          fraction: total ? Math.min(1, event.globalStep / total) : (this.jobs.get(id)?.fraction ?? 0),
          etaSeconds: event.etaSeconds,
          detail: `epoch ${event.epoch + 1} · step ${event.globalStep}${total ? `/${total}` : ''} · loss ${event.loss.toFixed(4)}`,
        });
        break;
      }
      default:
        break;
    }
  }

  async startPredict(settings: PredictSettings): Promise<JobSummary> {
    const workspace = this.requireWorkspace();
    const series = workspace.requireSeries(settings.seriesId);
    const model = workspace.getModel(settings.model);
    if (!model || model.kind !== 'segmentation') throw new InputError(`no segmentation model '${settings.model}': fine-tune one first`);
    const backend = settings.backend ?? this.options.backend ?? 'auto';
    const gpuWorker = this.gpuWorkers.choose(backend, tensorflowInstalled());
    return this.launchJob<PredictSummary>('predict', `Segmenting ${series.description ?? series.id} with ${settings.model}`, (jobId) => {
      const options = { workspace: workspace.dir, model: settings.model, seriesId: series.id, out: null, backend };
      const onSlice = (done: number, total: number) =>
        this.jobs.update(jobId(), { state: 'running', fraction: total ? done / total : 0, detail: `slice ${done}/${total}` });
      const handle = gpuWorker
        ? startOnGpuWorker((control) =>
            runPredict(options, { onSlice, place: async (request) => this.gpuWorkers.placePredict(gpuWorker, request, control) }),
          )
        : startPredictProcess(options, ({ done, total }) => onSlice(done, total));
      return {
        result: handle.result,
        controls: { cancel: () => handle.cancel() },
        produced: [settings.model],
        changes: 'series-changed',
        done: (summary) => {
          this.predictionCache = null;
          const volumes = Object.entries(summary.volumesMl)
            .map(([value, ml]) => `${value}: ${ml.toFixed(1)} mL`)
            .join(', ');
          return {
            state: 'done',
            fraction: 1,
            message: `${plural(summary.slices, 'slice')} in ${summary.seconds.toFixed(1)} s${gpuWorker ? ' on webgpu' : ''} · ${volumes}`,
          };
        },
      };
    });
  }

  /**
   * Registers a job that `start` starts, and settles its summary when the result comes:
   * `done` says what a result shows (and does what follows it), a failure shows its
   * message (`failed` may add to that); then `changes` tells the interfaces what to reload. `start` gets the job's id as a function: it is
   * known only once the job is registered, after `start` returns, but progress callbacks
   * run later.
   */
  private launchJob<T>(
    kind: JobKind,
    title: string,
    start: (jobId: () => string) => {
      result: Promise<T>;
      controls: JobControls;
      produced?: string[];
      done: (result: T) => Partial<JobSummary>;
      failed?: (error: unknown) => Partial<JobSummary>;
      changes?: 'series-changed' | 'models-changed';
    },
  ): JobSummary {
    let id = '';
    const launched = start(() => id);
    const job = this.jobs.create(kind, title, launched.controls);
    id = job.id;
    if (launched.produced) this.jobs.update(id, { produced: launched.produced });
    this.track(launched.result);
    launched.result
      .then(
        (result) => this.jobs.update(id, { etaSeconds: null, ...launched.done(result) }, { urgent: true }),
        (error: unknown) => {
          // A job cancelled before it could answer (an import, a segmentation) ends as cancelled.
          const state = error instanceof JobFailedError && error.kind === 'cancelled' ? 'cancelled' : 'failed';
          this.jobs.update(id, { state, etaSeconds: null, message: errorMessage(error), ...launched.failed?.(error) }, { urgent: true });
        },
      )
      .finally(() => {
        if (launched.changes) this.emit({ type: launched.changes });
      });
    return job;
  }

  async controlJob(jobId: string, command: JobCommand['type']): Promise<JobSummary> {
    const controls = this.jobs.controls(jobId);
    const job = this.jobs.get(jobId);
    if (!controls || !job) throw new InputError(`no job '${jobId}'`);
    if (command === 'cancel') controls.cancel();
    else if (command === 'pause') {
      if (!controls.pause) throw new InputError(`${job.title} cannot be paused`);
      controls.pause();
    } else {
      if (!controls.resume) throw new InputError(`${job.title} cannot be resumed`);
      controls.resume();
    }
    return this.jobs.get(jobId) as JobSummary;
  }

  async saveAnnotation(seriesId: string, index: number, mask: Uint8Array): Promise<AnnotationSaved> {
    const workspace = this.requireWorkspace();
    const series = workspace.requireSeries(seriesId);
    const plane = series.rows * series.cols;
    if (mask.byteLength !== plane * 2)
      throw new InputError(
        `a label map of series ${seriesId} has ${plane} uint16 values (${plane * 2} bytes), got ${mask.byteLength} bytes`,
      );
    // Copy: the bytes may be a view at an odd offset of a larger message buffer.
    const labels = new Uint16Array(plane);
    new Uint8Array(labels.buffer).set(mask);
    if (labels.some((v) => v !== 0)) saveSliceAnnotations(workspace, series, [{ index, labels }]);
    else deleteSliceAnnotations(workspace, series, [index]);
    const saved = { seriesId, index, annotatedSlices: workspace.annotatedSlices(series.key) };
    this.emit({ type: 'annotation-saved', saved });
    return saved;
  }

  async exportSegmentation(request: ExportRequest): Promise<ExportResult> {
    return exportToWorkspace(this.requireWorkspace(), request);
  }

  async listPacs(): Promise<PacsStatus[]> {
    return this.workspaceOrNull() ? this.pacs.list() : [];
  }

  async savePacs(entry: PacsEntry, secret: string | null): Promise<PacsStatus> {
    return this.pacs.save(entry, secret);
  }

  async removePacs(name: string): Promise<void> {
    this.pacs.remove(name);
  }

  async unlockPacs(name: string, secret: string): Promise<PacsStatus> {
    return this.pacs.unlock(name, secret);
  }

  async echoPacs(name: string): Promise<PacsEchoResult> {
    return this.pacs.echo(name);
  }

  async findInPacs(name: string, query: PacsQuery): Promise<PacsFindResult> {
    return this.pacs.find(name, query);
  }

  async startPacsGet(name: string, seriesUids: string[]): Promise<JobSummary> {
    if (seriesUids.length === 0) throw new InputError('choose at least one series to retrieve');
    const request = { workspace: this.dir, connection: this.pacs.connection(name), seriesUids };
    const title = `Retrieving ${seriesUids.length === 1 ? 'a series' : `${seriesUids.length} series`} from PACS ${name}`;
    return this.runImport(title, (onProgress) => startPacsGetProcess(request, onProgress));
  }

  async storeToPacs(name: string, seriesId: string, model: string): Promise<PacsStoreResult> {
    return this.pacs.store(name, seriesId, model);
  }

  async chooseFolder(): Promise<string | null> {
    return null;
  }

  async registerGpuWorker(adapter: GpuAdapterSummary): Promise<{ workerId: string }> {
    const workerId = this.gpuWorkers.register(adapter);
    this.emit({ type: 'compute-changed' });
    return { workerId };
  }

  async releaseGpuWorker(workerId: string): Promise<void> {
    this.gpuWorkers.release(workerId);
    this.emit({ type: 'compute-changed' });
  }

  async gpuWorkerReport(workerId: string, jobId: string, report: GpuReport): Promise<void> {
    this.gpuWorkers.report(workerId, jobId, report);
  }

  async gpuWorkerUpload(workerId: string, jobId: string, part: GpuUploadPart, bytes: Uint8Array): Promise<void> {
    await this.gpuWorkers.upload(workerId, jobId, part, bytes);
  }

  async gpuWorkerDownload(workerId: string, jobId: string, offset: number, length: number): Promise<Uint8Array> {
    return this.gpuWorkers.download(workerId, jobId, offset, length);
  }

  /** The bytes behind a pixel URL (see shared/pixel-urls.ts), or null for a 404. */
  readPixels(route: PixelRoute): PixelAnswer | null {
    const workspace = this.workspaceOrNull();
    if (!workspace) return null;
    const series = workspace.findSeries(route.seriesId);
    if (!series || route.index >= series.slices) return null;
    const answer = (values: Float32Array | Uint16Array) => ({
      bytes: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
      rows: series.rows,
      cols: series.cols,
    });
    if (route.kind === 'slice') return answer(workspace.readSlice(series.id, route.index));
    if (route.kind === 'annotation') {
      const annotation = readSliceAnnotation(workspace, series, route.index);
      return annotation && answer(annotation.labels);
    }
    const plane = series.rows * series.cols;
    const volume = this.cachedPrediction(workspace, series, route.model);
    return volume && answer(volume.subarray(route.index * plane, (route.index + 1) * plane));
  }

  /** One prediction volume kept in memory: the viewer asks for its slices one by one. */
  private predictionCache: { key: string; labels: Uint16Array } | null = null;

  private cachedPrediction(workspace: Workspace, series: SeriesRecord, model: string): Uint16Array | null {
    const key = `${series.key}\u0000${model}`;
    if (this.predictionCache?.key === key) return this.predictionCache.labels;
    const prediction = readPrediction(workspace, series, model);
    if (!prediction) return null;
    this.predictionCache = { key, labels: prediction.labels };
    return prediction.labels;
  }

  private track(result: Promise<unknown>): void {
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
  }

  /** Stops every job, waits (bounded) until each has written its checkpoint, closes the catalogue. */
  async close({ waitMs = 60_000 }: { waitMs?: number } = {}): Promise<void> {
    this.jobs.cancelAll();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.all(this.inFlight), new Promise((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
    this.workspaceHandle?.close();
    this.workspaceHandle = null;
  }
}

function fmt(value: number | null): string {
  return value === null ? '–' : value.toFixed(4);
}

/** Fine-tunings stopped before they saved a model: their checkpoint is all there is of them. */
function interruptedFinetunes(workspace: Workspace, recorded: Set<string>): StudioModel[] {
  const folder = join(workspace.dir, 'models');
  if (!existsSync(folder)) return [];
  const out: StudioModel[] = [];
  for (const name of readdirSync(folder)) {
    const checkpoint = join(folder, name, FINETUNE_CHECKPOINT);
    if (recorded.has(name) || !existsSync(checkpoint)) continue;
    try {
      const header = readCheckpointHeader(checkpoint) as { init?: string; progress?: { perEpoch?: number[] } };
      if (typeof header.init !== 'string') continue;
      const epochsDone = header.progress?.perEpoch?.length ?? 0;
      const method = header.init === 'none' ? 'scratch' : `finetune:${header.init}`;
      out.push({
        name,
        kind: 'segmentation',
        method,
        createdAt: statSync(checkpoint).mtime.toISOString(),
        complete: false,
        series: [],
        resumable: { init: header.init, epochsDone },
      });
    } catch {
      // An unreadable checkpoint cannot be resumed; it is left for the CLI to report.
    }
  }
  return out;
}

/** Stored predictions (schema 2), per series id, oldest first. */
function predictionsBySeries(workspace: Workspace): Map<string, PredictionStatus[]> {
  const out = new Map<string, PredictionStatus[]>();
  const rows = workspace.db
    .prepare(
      'SELECT s.id AS id, p.model AS model, p.created_at AS createdAt, p.meta AS meta FROM predictions p JOIN series s ON s.key = p.series_key ORDER BY p.created_at',
    )
    .all() as {
    id: string;
    model: string;
    createdAt: string;
    meta: string;
  }[];
  for (const row of rows) {
    const meta = JSON.parse(row.meta) as Partial<PredictionMeta>;
    const status: PredictionStatus = {
      model: row.model,
      createdAt: row.createdAt,
      volumesMl: meta.volumesMl ?? {},
      suggestedSlices: meta.suggestedSlices ?? [],
    };
    out.set(row.id, [...(out.get(row.id) ?? []), status]);
  }
  return out;
}

/** e.g. 20261126-071502: sortable, and valid in model and file names. */
/** The controls of a job that can pause (a training job's handle, in a process or on a GPU worker). */
function pausable(handle: { pause(): void; resume(): void; cancel(): void }): JobControls {
  return { pause: () => handle.pause(), resume: () => handle.resume(), cancel: () => handle.cancel() };
}

/** "1 epoch", "3 epochs" */
function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
