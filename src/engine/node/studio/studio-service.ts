import type {
  AnnotationSaved,
  ExportRequest,
  ExportResult,
  FinetuneSettings,
  JobSummary,
  PacsStatus,
  PaletteLabel,
  PredictSettings,
  PretrainSettings,
  SeriesStatus,
  StudioApi,
  StudioEvent,
  StudioMethod,
  StudioModel,
  WorkspaceStatus,
} from '../../../shared/api.ts';
import { validateCall } from '../../../shared/api-validation.ts';
import type { GpuAdapterSummary, GpuReport, GpuUploadPart } from '../../../shared/gpu-worker.ts';
import type { JobCommand } from '../../../shared/job.ts';
import type { PacsEchoResult, PacsEntry, PacsFindResult, PacsQuery, PacsStoreResult } from '../../../shared/pacs.ts';
import type { PixelRoute } from '../../../shared/pixel-urls.ts';
import type { TrainingEstimate } from '../../../shared/training-estimate.ts';
import { exportToWorkspace } from '../segmentation/export-request.ts';
import { listLabels, listModels, listSeries, workspaceStatus } from './catalogue.ts';
import { forInterface } from './interface-words.ts';
import { launchFinetune } from './launch-finetune.ts';
import { launchImport, launchImportSample } from './launch-import.ts';
import { launchPacsGet } from './launch-pacs-get.ts';
import { launchPredict } from './launch-predict.ts';
import { estimatePretrain } from './estimate-pretrain.ts';
import { launchPretrain } from './launch-pretrain.ts';
import type { PixelAnswer } from './pixel-reads.ts';
import { saveAnnotation } from './save-annotation.ts';
import { saveLabels } from './save-labels.ts';
import { StudioSession, type StudioServiceOptions } from './studio-session.ts';
import { storageErrorOf } from '../workspace/storage-problem.ts';

export type { PixelAnswer, StudioServiceOptions };

/**
 * The engine behind the interface: the API contract (shared/api.ts) over one workspace.
 * `ssmtl serve` hosts it in its own process; Electron in the engine host process (see
 * src/main). Each method is one verb in its own file; this class only validates calls
 * and dispatches. It never runs long work itself: imports and training run in job
 * processes (or a page's GPU), so the serving thread only answers catalogue queries and
 * reads single slices.
 *
 * Job states follow shared/job.ts:  starting ──► running ◄──► paused ──► done | cancelled | failed
 */
export class StudioService implements StudioApi {
  private readonly session: StudioSession;

  constructor(options: StudioServiceOptions) {
    this.session = new StudioSession(options);
  }

  /** Validates and dispatches one call that arrived from a renderer. */
  async call(method: unknown, params: unknown): Promise<unknown> {
    const checked = validateCall(method, params);
    const handler = this[checked.method as StudioMethod] as (...args: unknown[]) => Promise<unknown>;
    try {
      return await handler.apply(this, checked.params);
    } catch (error) {
      // An error's hint becomes the interface's words (a field or button, never a CLI flag).
      // a read-only, forbidden or full workspace: say so, naming it (not "internal error")
      throw forInterface(storageErrorOf(error, this.session.dir) ?? error);
    }
  }

  onEvent(listener: (event: StudioEvent) => void): () => void {
    return this.session.onEvent(listener);
  }

  async workspace(): Promise<WorkspaceStatus> {
    return workspaceStatus(this.session);
  }

  async listSeries(): Promise<SeriesStatus[]> {
    return listSeries(this.session);
  }

  async listModels(): Promise<StudioModel[]> {
    return listModels(this.session);
  }

  async listLabels(): Promise<PaletteLabel[]> {
    return listLabels(this.session);
  }

  async saveLabels(labels: PaletteLabel[]): Promise<PaletteLabel[]> {
    return saveLabels(this.session, labels);
  }

  async listJobs(): Promise<JobSummary[]> {
    return this.session.jobs.list();
  }

  async startImport(paths: string[]): Promise<JobSummary> {
    return launchImport(this.session, paths);
  }

  async startImportSample(): Promise<JobSummary> {
    return launchImportSample(this.session);
  }

  async startPretrain(settings: PretrainSettings): Promise<JobSummary> {
    return launchPretrain(this.session, settings);
  }

  async estimatePretrain(settings: PretrainSettings): Promise<TrainingEstimate | null> {
    return estimatePretrain(this.session, settings);
  }

  async startFinetune(settings: FinetuneSettings): Promise<JobSummary> {
    return launchFinetune(this.session, settings);
  }

  async startPredict(settings: PredictSettings): Promise<JobSummary> {
    return launchPredict(this.session, settings);
  }

  async controlJob(jobId: string, command: JobCommand['type']): Promise<JobSummary> {
    return this.session.jobs.command(jobId, command);
  }

  async saveAnnotation(seriesId: string, index: number, mask: Uint8Array): Promise<AnnotationSaved> {
    return saveAnnotation(this.session, seriesId, index, mask);
  }

  async exportSegmentation(request: ExportRequest): Promise<ExportResult> {
    return exportToWorkspace(this.session.requireWorkspace(), request);
  }

  async listPacs(): Promise<PacsStatus[]> {
    return this.session.workspaceOrNull() ? this.session.pacs.list() : [];
  }

  async savePacs(entry: PacsEntry, secret: string | null): Promise<PacsStatus> {
    return this.session.pacs.save(entry, secret);
  }

  async removePacs(name: string): Promise<void> {
    this.session.pacs.remove(name);
  }

  async unlockPacs(name: string, secret: string): Promise<PacsStatus> {
    return this.session.pacs.unlock(name, secret);
  }

  async echoPacs(name: string): Promise<PacsEchoResult> {
    return this.session.pacs.echo(name);
  }

  async findInPacs(name: string, query: PacsQuery): Promise<PacsFindResult> {
    return this.session.pacs.find(name, query);
  }

  async startPacsGet(name: string, seriesUids: string[]): Promise<JobSummary> {
    return launchPacsGet(this.session, name, seriesUids);
  }

  async storeToPacs(name: string, seriesId: string, model: string): Promise<PacsStoreResult> {
    return this.session.pacs.store(name, seriesId, model);
  }

  /** A browser cannot browse the disk: only Electron's main process answers this (its native dialog). */
  async chooseFolder(): Promise<string | null> {
    return null;
  }

  async registerGpuWorker(adapter: GpuAdapterSummary): Promise<{ workerId: string }> {
    const workerId = this.session.browserGpus.register(adapter);
    this.session.emit({ type: 'compute-changed' });
    return { workerId };
  }

  async releaseGpuWorker(workerId: string): Promise<void> {
    this.session.browserGpus.release(workerId);
    this.session.emit({ type: 'compute-changed' });
  }

  async gpuWorkerReport(workerId: string, jobId: string, report: GpuReport): Promise<void> {
    this.session.browserGpus.report(workerId, jobId, report);
  }

  async gpuWorkerUpload(workerId: string, jobId: string, part: GpuUploadPart, bytes: Uint8Array): Promise<void> {
    await this.session.browserGpus.upload(workerId, jobId, part, bytes);
  }

  async gpuWorkerDownload(workerId: string, jobId: string, offset: number, length: number): Promise<Uint8Array> {
    return this.session.browserGpus.download(workerId, jobId, offset, length);
  }

  /** The bytes behind a pixel URL (see shared/pixel-urls.ts), or null for a 404. */
  readPixels(route: PixelRoute): PixelAnswer | null {
    return this.session.pixels.read(this.session.workspaceOrNull(), route);
  }

  /** Stops every job, waits (bounded) until each has written its checkpoint, closes the catalogue. */
  close(options?: { waitMs?: number }): Promise<void> {
    return this.session.close(options);
  }
}
