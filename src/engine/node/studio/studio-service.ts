import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type {
  AnnotationSaved,
  ExportRequest,
  ExportResult,
  FinetuneSettings,
  JobSummary,
  PaletteLabel,
  PredictSettings,
  PretrainSettings,
  SeriesStatus,
  StudioEvent,
  StudioMethod,
  WorkspaceStatus,
} from '../../../shared/api.ts';
import { validateCall } from '../../../shared/api-validation.ts';
import { InputError, errorMessage } from '../../../shared/errors.ts';
import type { BackendChoice, JobCommand, JobEvent } from '../../../shared/job.ts';
import type { PixelRoute } from '../../../shared/pixel-urls.ts';
import type { ModelInfo } from '../../../shared/series.ts';
import { JobFailedError, startPretrainProcess } from '../job-runner.ts';
import { defaultModelName, type PretrainOptions } from '../pretrain-job.ts';
import { seriesInfo } from '../workspace/series-info.ts';
import { CATALOGUE_FILE, Workspace } from '../workspace/workspace.ts';
import { startImportProcess } from './import-process.ts';
import { JobRegistry } from './job-registry.ts';

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
      backend: { requested: this.options.backend ?? 'auto', lastUsed: this.lastBackend, notes: this.lastBackendNotes },
    };
  }

  async listSeries(): Promise<SeriesStatus[]> {
    const workspace = this.workspaceOrNull();
    if (!workspace) return [];
    const predicted = predictionsBySeries(workspace);
    return seriesInfo(workspace).map((info) => ({ ...info, predictedBy: predicted.get(info.id) ?? [] }));
  }

  async listModels(): Promise<ModelInfo[]> {
    const workspace = this.workspaceOrNull();
    if (!workspace) return [];
    return workspace.listModels().map(({ name, kind, method, createdAt }) => ({ name, kind, method, createdAt }));
  }

  async listLabels(): Promise<PaletteLabel[]> {
    const workspace = this.workspaceOrNull();
    if (workspace) {
      try {
        return workspace.db.prepare('SELECT value, name, color FROM label_set ORDER BY position, value').all() as PaletteLabel[];
      } catch {
        // A catalogue from before label sets (schema 1): the default palette.
      }
    }
    return DEFAULT_PALETTE;
  }

  async listJobs(): Promise<JobSummary[]> {
    return this.jobs.list();
  }

  async startImport(paths: string[]): Promise<JobSummary> {
    if (paths.length === 0) throw new InputError('give at least one file or folder to import');
    const absolute = paths.map((p) => resolve(p.trim()));
    for (const path of absolute) if (!existsSync(path)) throw new InputError(`${path} does not exist`);
    return this.runImport(`Importing ${absolute.length === 1 ? absolute[0] : `${absolute.length} paths`}`, absolute, false);
  }

  async startImportSample(): Promise<JobSummary> {
    return this.runImport('Importing the built-in sample (synthetic chest CT)', [], true);
  }

  private runImport(title: string, paths: string[], sample: boolean): JobSummary {
    if (this.jobs.running().some((j) => j.kind === 'import')) throw new InputError('an import is already running: wait for it to finish');
    let id = '';
    const handle = startImportProcess({ workspace: this.dir, paths, sample }, (progress) => {
      this.jobs.update(id, {
        state: 'running',
        fraction: progress.total > 0 ? progress.done / progress.total : 0,
        detail: `${progress.stage} ${progress.done}/${progress.total}`,
      });
    });
    const job = this.jobs.create('import', title, { cancel: () => handle.cancel() });
    id = job.id;
    this.track(handle.result);
    handle.result.then(
      (result) => {
        const workspace = this.workspaceOrNull();
        for (const series of result.imported) workspace?.releaseSeries(series.id);
        this.jobs.update(
          id,
          {
            state: 'done',
            fraction: 1,
            detail: `${result.imported.length} series imported${result.skipped.length ? `, ${result.skipped.length} files skipped` : ''}`,
            produced: result.imported.map((s) => s.id),
            skipped: result.skipped,
            message: result.imported.length === 0 ? 'No image series found there.' : null,
          },
          { urgent: true },
        );
        this.emit({ type: 'series-changed' });
      },
      (error: unknown) => {
        const cancelled = errorMessage(error) === 'cancelled';
        this.jobs.update(id, { state: cancelled ? 'cancelled' : 'failed', message: errorMessage(error) }, { urgent: true });
        this.emit({ type: 'series-changed' });
      },
    );
    return job;
  }

  async startPretrain(settings: PretrainSettings): Promise<JobSummary> {
    const workspace = this.requireWorkspace();
    if (this.jobs.running().some((j) => j.kind === 'pretrain' || j.kind === 'finetune')) {
      throw new InputError('a training job is already running: pause or cancel it first');
    }
    const ts = [settings.t];
    const name = settings.name || defaultModelName({ method: 'ssmtl', ts, size: settings.size, width: settings.width, seed: 0 });
    const resume = existsSync(join(workspace.dir, 'models', name, 'checkpoint.bin')) && !workspace.getModel(name);
    const options: PretrainOptions = {
      workspace: workspace.dir,
      seriesIds: settings.seriesIds,
      method: 'ssmtl',
      backbone: 'unet',
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
    let id = '';
    const handle = startPretrainProcess(options, (event) => this.onPretrainEvent(id, event));
    const job = this.jobs.create('pretrain', `Pre-training ${name}${resume ? ' (resumed)' : ''}`, {
      pause: () => handle.pause(),
      resume: () => handle.resume(),
      cancel: () => handle.cancel(),
    });
    id = job.id;
    this.jobs.update(id, { produced: [name] });
    this.track(handle.result);
    handle.result.then(
      (summary) => {
        const ended = summary.status === 'done';
        this.jobs.update(
          id,
          {
            state: ended ? 'done' : 'cancelled',
            fraction: ended ? 1 : this.jobs.get(id)?.fraction ?? 0,
            etaSeconds: null,
            message: ended
              ? `Model ${summary.model}: ${summary.epochs} epochs in ${Math.round(summary.seconds)} s on ${summary.backend}, loss ${fmt(summary.loss.first)} → ${fmt(summary.loss.last)}`
              : `Stopped; its checkpoint is kept: start the same settings again to resume.`,
          },
          { urgent: true },
        );
        this.emit({ type: 'models-changed' });
      },
      (error: unknown) => {
        const kind = error instanceof JobFailedError ? error.kind : 'internal';
        this.jobs.update(id, { state: 'failed', etaSeconds: null, message: `${kind === 'nan' ? 'Training diverged: ' : ''}${errorMessage(error)}` }, { urgent: true });
      },
    );
    return job;
  }

  private onPretrainEvent(id: string, event: JobEvent): void {
    switch (event.type) {
      case 'started':
        this.lastBackend = event.backend;
        this.lastBackendNotes = event.backendNotes;
        this.jobs.update(id, { state: 'running', backend: event.backend, backendNotes: event.backendNotes, detail: `epoch 1/${event.epochs}` }, { urgent: true });
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
      default:
        break;
    }
  }

  async startFinetune(_settings: FinetuneSettings): Promise<JobSummary> {
    throw new InputError('fine-tuning is not available in this build yet');
  }

  async startPredict(_settings: PredictSettings): Promise<JobSummary> {
    throw new InputError('prediction is not available in this build yet');
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

  async saveAnnotation(_seriesId: string, _index: number, _mask: Uint8Array): Promise<AnnotationSaved> {
    throw new InputError('annotation storage is not available in this build yet');
  }

  async exportSegmentation(_request: ExportRequest): Promise<ExportResult> {
    throw new InputError('export is not available in this build yet');
  }

  async chooseFolder(): Promise<string | null> {
    return null;
  }

  /** The bytes behind a pixel URL (see shared/pixel-urls.ts), or null for a 404. */
  readPixels(route: PixelRoute): PixelAnswer | null {
    const workspace = this.workspaceOrNull();
    if (!workspace) return null;
    const series = workspace.findSeries(route.seriesId);
    if (!series || route.index >= series.slices) return null;
    if (route.kind === 'slice') {
      const values = workspace.readSlice(series.id, route.index);
      return { bytes: new Uint8Array(values.buffer, values.byteOffset, values.byteLength), rows: series.rows, cols: series.cols };
    }
    return null;
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

/** The MM-WHS structures, as the catalogue's schema 2 seeds them, for a workspace not yet created. */
const DEFAULT_PALETTE: PaletteLabel[] = [
  { value: 500, name: 'LV', color: '#ff0000' },
  { value: 600, name: 'RV', color: '#00ff00' },
  { value: 420, name: 'LA', color: '#0000ff' },
  { value: 550, name: 'RA', color: '#ffff00' },
  { value: 205, name: 'Myocardium', color: '#00ffff' },
  { value: 820, name: 'Ascending aorta', color: '#ff00ff' },
  { value: 850, name: 'Pulmonary artery', color: '#ffa500' },
];

function fmt(value: number | null): string {
  return value === null ? '–' : value.toFixed(4);
}

/** Models with stored predictions, per series id (the predictions table arrives with schema 2). */
function predictionsBySeries(workspace: Workspace): Map<string, string[]> {
  const out = new Map<string, string[]>();
  try {
    const rows = workspace.db.prepare('SELECT s.id AS id, p.model AS model FROM predictions p JOIN series s ON s.key = p.series_key ORDER BY p.created_at').all() as {
      id: string;
      model: string;
    }[];
    for (const row of rows) out.set(row.id, [...(out.get(row.id) ?? []), row.model]);
  } catch {
    // An older catalogue without predictions.
  }
  return out;
}
