import type { GpuAdapterSummary, GpuReport, GpuTask, GpuUploadPart } from './gpu-worker.ts';
import type { Backbone, BackendChoice, JobCommand, JobQueuePlace, JobState, PretrainMethod } from './job.ts';
import type { LabelDefinition } from './labels.ts';
import type { PacsEchoResult, PacsEntry, PacsFindResult, PacsQuery, PacsStoreResult } from './pacs.ts';
import type { ModelInfo, SeriesInfo, SeriesPlane, SkippedFile } from './series.ts';
import type { TrainingEstimate } from './training-estimate.ts';

/**
 * The one API contract between the interface and the engine. Electron exposes it
 * through the preload bridge (IPC); `ssmtl serve` exposes it over a WebSocket. Pixel
 * data never travels through it: slices, masks and predictions are fetched by URL
 * (see pixel-urls.ts), served by the app protocol or by serve's HTTP server.
 *
 * Every function takes plain JSON-able arguments (plus Uint8Array for a mask) and is
 * validated on the receiving side (api-validation.ts) before it reaches the engine.
 * Bytes are only ever a whole parameter or a whole result, or inside a 'gpu-task' event:
 * serve's transport (rpc.ts encodeMessage) looks for them there and nowhere else.
 */
export interface StudioApi {
  /** The open workspace and what the engine runs on. */
  workspace(): Promise<WorkspaceStatus>;
  /** Series with their annotation status, in import order. */
  listSeries(): Promise<SeriesStatus[]>;
  listModels(): Promise<StudioModel[]>;
  /** The workspace's label palette, in order (the MM-WHS heart structures by default). */
  listLabels(): Promise<PaletteLabel[]>;
  /**
   * Replaces the label palette (names, colours, values, in order) and returns it as
   * stored. A value still painted in some annotation cannot be left out (rename it instead).
   */
  saveLabels(labels: PaletteLabel[]): Promise<PaletteLabel[]>;
  /** Every job of this session, newest first, with progress and loss history. */
  listJobs(): Promise<JobSummary[]>;
  /** Imports DICOM/NIfTI files or folders (a path typed or chosen in the native dialog). */
  startImport(paths: string[]): Promise<JobSummary>;
  /** Writes the built-in synthetic chest CT sample into the workspace and imports it. */
  startImportSample(): Promise<JobSummary>;
  startPretrain(settings: PretrainSettings): Promise<JobSummary>;
  /**
   * How long a pre-training of these settings would take on the compute it would run on,
   * from one training step timed there (seconds); null where a page's WebGPU would run it.
   */
  estimatePretrain(settings: PretrainSettings): Promise<TrainingEstimate | null>;
  startFinetune(settings: FinetuneSettings): Promise<JobSummary>;
  /** Segments every slice of a series with a segmentation model; results appear as overlays. */
  startPredict(settings: PredictSettings): Promise<JobSummary>;
  controlJob(jobId: string, command: JobCommand['type']): Promise<JobSummary>;
  /**
   * Saves one slice's labels (rows × cols label values, 0 = background, little-endian
   * uint16 bytes). An all-zero mask removes the slice's annotation.
   */
  saveAnnotation(seriesId: string, index: number, mask: Uint8Array): Promise<AnnotationSaved>;
  exportSegmentation(request: ExportRequest): Promise<ExportResult>;
  /** The PACS configured in this workspace (shared/pacs.ts), and whether each has its secret. */
  listPacs(): Promise<PacsStatus[]>;
  /**
   * Adds or replaces a PACS entry. `secret` (a password or token; null: keep the one it has)
   * never reaches the workspace: Electron's main process keeps it in the OS keychain
   * (safeStorage) and gives it to the engine, which holds it in memory; under serve it is
   * held in memory until serve stops.
   */
  savePacs(entry: PacsEntry, secret: string | null): Promise<PacsStatus>;
  removePacs(name: string): Promise<void>;
  /** The secret of a configured PACS for this session only (not kept anywhere). */
  unlockPacs(name: string, secret: string): Promise<PacsStatus>;
  echoPacs(name: string): Promise<PacsEchoResult>;
  findInPacs(name: string, query: PacsQuery): Promise<PacsFindResult>;
  /** Retrieves series and imports them (an import job: progress, cancel, skipped files). */
  startPacsGet(name: string, seriesUids: string[]): Promise<JobSummary>;
  /** Sends the DICOM SEG of a model's prediction for a series to the PACS. */
  storeToPacs(name: string, seriesId: string, model: string): Promise<PacsStoreResult>;
  /** Electron only: the native folder dialog; serve answers null (a browser cannot browse the disk). */
  chooseFolder(): Promise<string | null>;
  /**
   * A page offers its WebGPU adapter for training (shared/gpu-worker.ts): pre-training
   * and fine-tuning asked to run on webgpu (or on auto, where no native TensorFlow is
   * installed and the adapter is a real GPU) then run in that page's worker.
   */
  registerGpuWorker(adapter: GpuAdapterSummary): Promise<{ workerId: string }>;
  /** The page closes (the transport also releases it when the connection or window goes). */
  releaseGpuWorker(workerId: string): Promise<void>;
  gpuWorkerReport(workerId: string, jobId: string, report: GpuReport): Promise<void>;
  gpuWorkerUpload(workerId: string, jobId: string, part: GpuUploadPart, bytes: Uint8Array): Promise<void>;
  gpuWorkerDownload(workerId: string, jobId: string, offset: number, length: number): Promise<Uint8Array>;
  /** Pushes events (job progress, workspace changes); returns the unsubscribe function. */
  onEvent(listener: (event: StudioEvent) => void): () => void;
}

export type StudioMethod = Exclude<keyof StudioApi, 'onEvent'>;

export interface WorkspaceStatus {
  /** absolute folder; the catalogue may not exist yet (an empty workspace) */
  dir: string;
  /** true once something was imported */
  exists: boolean;
  /** why the workspace cannot be written (read-only file system, no permission, disk full): it is shown read-only; null when writable */
  readOnly: string | null;
  /** 'electron' or 'serve': the interface hides what its transport cannot do */
  transport: 'electron' | 'serve';
  /** the default compute backend jobs ask for, and what the last job actually ran on */
  backend: { requested: BackendChoice; lastUsed: string | null; notes: string[]; gpuWorker: GpuAdapterSummary | null };
}

/** A model with what the interface needs to offer it: whether it finished, what it learnt from. */
export interface StudioModel extends ModelInfo {
  /** false for a pre-training run that was stopped or is still running (resumable), and for an interrupted fine-tuning */
  complete: boolean;
  /** the series it was trained on (pre-training) */
  series: string[];
  /** an interrupted fine-tuning: starting a fine-tune with its name and init continues it */
  resumable?: { init: string; epochsDone: number };
  /** a segmentation model's labels as it learnt them: its predictions are named and coloured by these */
  labels?: PaletteLabel[];
}

export interface SeriesStatus extends SeriesInfo {
  /** finished pre-trained models that learnt from this series */
  pretrainedBy: string[];
  /** segmentation models that have predictions stored for this series, oldest first */
  predictedBy: string[];
  predictions: PredictionStatus[];
  /** where the slices lie in the patient; null when the source does not say (e.g. a secondary capture) */
  plane: SeriesPlane | null;
}

/** A configured PACS and where its secret comes from (never the secret). */
export interface PacsStatus {
  entry: PacsEntry;
  /** 'not-needed': no login; 'held': the engine has it (keychain or this session); 'environment': from the variable the entry names; 'missing' */
  secret: 'not-needed' | 'held' | 'environment' | 'missing';
}

/** A label an annotator can paint (the workspace's label set). */
export type PaletteLabel = LabelDefinition;

/** A model's stored prediction for a series, for review. */
export interface PredictionStatus {
  model: string;
  createdAt: string;
  /** mL per label value */
  volumesMl: Record<string, number>;
  /** unannotated slices where the model is least sure, most uncertain first */
  suggestedSlices: number[];
}

export type JobKind = 'import' | 'pretrain' | 'finetune' | 'predict';

/** One point of a loss chart: the step and each head's loss (pre-training heads, or 'loss'). */
export interface LossPoint {
  step: number;
  losses: Record<string, number>;
}

export interface JobSummary {
  id: string;
  kind: JobKind;
  /** a line a person reads, e.g. "Pre-training ssmtl-t5-64px-w8-seed0" */
  title: string;
  state: JobState;
  /** 0..1 */
  fraction: number;
  /** e.g. "epoch 3/10 · loss 0.0123", "slice 40/256" */
  detail: string;
  etaSeconds: number | null;
  startedAt: string;
  endedAt: string | null;
  /** the backend a training job runs on ('' until known) */
  backend: string;
  backendNotes: string[];
  /** bounded: down-sampled when long */
  lossHistory: LossPoint[];
  /** why it failed, or what it produced, in words */
  message: string | null;
  /** model name for training jobs, series ids for imports */
  produced: string[];
  skipped: SkippedFile[];
  /** pause/resume are offered only when the job can do them */
  canPause: boolean;
  /** while queued: its place among the waiting jobs of its lane (1: next) and why it waits */
  queue: JobQueuePlace | null;
  /** a pre-training's settings as it runs them (the form shows them after a reload) */
  pretrainSettings?: PretrainSettings;
}

export interface PretrainSettings {
  /** empty: every series */
  seriesIds: string[];
  method: PretrainMethod;
  /** absent: the method's (U-Net for SSMTL, ResNet50-FCN otherwise) */
  backbone?: Backbone;
  /** SSMTL, SSMTL+ (MoCo v2 ignores it) */
  t: number;
  epochs: number;
  size: number;
  width: number;
  batch: number;
  backend: BackendChoice;
  /** empty: derived from the settings */
  name: string;
}

export interface FinetuneSettings {
  /** a pre-trained model, or null to start from random weights */
  init: string | null;
  epochs: number;
  backend: BackendChoice;
  /** empty: derived */
  name: string;
  /** segment this series as soon as the model is trained (null: none) */
  predictSeriesId: string | null;
}

export interface PredictSettings {
  model: string;
  seriesId: string;
  /** default: the engine's (auto) */
  backend?: BackendChoice;
}

export interface AnnotationSaved {
  seriesId: string;
  index: number;
  annotatedSlices: number[];
}

export interface ExportRequest {
  seriesId: string;
  /** the segmentation model whose prediction is exported, or null for the annotations */
  model: string | null;
  format: 'dicom-seg' | 'nifti';
}

export interface ExportResult {
  /** where the file was written, inside the workspace's exports folder */
  path: string;
  bytes: number;
  /** a NIfTI's label names and colours, beside it (ITK-SNAP's label description format, which 3D Slicer reads too) */
  labelTable?: string;
}

export type StudioEvent =
  | { type: 'job'; job: JobSummary }
  | { type: 'series-changed' }
  | { type: 'models-changed' }
  | { type: 'labels-changed' }
  | { type: 'annotation-saved'; saved: AnnotationSaved }
  /** what training can run on changed (a page offered or withdrew its GPU) */
  | { type: 'compute-changed' }
  /** for the page that registered `workerId` only (shared/gpu-worker.ts) */
  | { type: 'gpu-task'; workerId: string; task: GpuTask };

/** IPC channel names, one per API function, plus the event channel. */
export const API_CHANNELS = {
  workspace: 'studio:workspace',
  listSeries: 'studio:list-series',
  listModels: 'studio:list-models',
  listLabels: 'studio:list-labels',
  saveLabels: 'studio:save-labels',
  listJobs: 'studio:list-jobs',
  startImport: 'studio:start-import',
  startImportSample: 'studio:start-import-sample',
  startPretrain: 'studio:start-pretrain',
  estimatePretrain: 'studio:estimate-pretrain',
  startFinetune: 'studio:start-finetune',
  startPredict: 'studio:start-predict',
  controlJob: 'studio:control-job',
  saveAnnotation: 'studio:save-annotation',
  exportSegmentation: 'studio:export-segmentation',
  listPacs: 'studio:list-pacs',
  savePacs: 'studio:save-pacs',
  removePacs: 'studio:remove-pacs',
  unlockPacs: 'studio:unlock-pacs',
  echoPacs: 'studio:echo-pacs',
  findInPacs: 'studio:find-in-pacs',
  startPacsGet: 'studio:start-pacs-get',
  storeToPacs: 'studio:store-to-pacs',
  chooseFolder: 'studio:choose-folder',
  registerGpuWorker: 'studio:register-gpu-worker',
  releaseGpuWorker: 'studio:release-gpu-worker',
  gpuWorkerReport: 'studio:gpu-worker-report',
  gpuWorkerUpload: 'studio:gpu-worker-upload',
  gpuWorkerDownload: 'studio:gpu-worker-download',
} as const satisfies Record<StudioMethod, string>;

export const EVENT_CHANNEL = 'studio:event';

export const STUDIO_METHODS = Object.keys(API_CHANNELS) as StudioMethod[];
