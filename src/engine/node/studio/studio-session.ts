import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { JobKind, StudioEvent, WorkspaceStatus } from '../../../shared/api.ts';
import { InputError } from '../../../shared/errors.ts';
import type { BackendChoice } from '../../../shared/job.ts';
import { PacsService } from '../pacs/pacs-service.ts';
import { BrowserGpuPool } from '../placement/browser-gpu/browser-gpu-pool.ts';
import { CATALOGUE_FILE, Workspace } from '../workspace/workspace.ts';
import { jobLimits, type JobLimits } from './job-limits.ts';
import { JobQueue } from './job-queue.ts';
import { JobRegistry } from './job-registry.ts';
import { PixelReads } from './pixel-reads.ts';
import { SeriesPlanes } from './series-plane.ts';

export interface StudioServiceOptions {
  workspace: string;
  transport: WorkspaceStatus['transport'];
  backend?: BackendChoice;
  /** changes to job-limits.ts's defaults: jobs running at once per lane, memory each needs */
  jobLimits?: { running?: Partial<JobLimits['running']>; memory?: Partial<Record<JobKind, number>> };
  /** the free memory the queue sees (tests); os.freemem otherwise */
  freeMemory?: () => number;
}

/**
 * What the studio's verbs share (studio-service.ts is their facade): the workspace, the
 * listeners of its events, the jobs of this session, the pages lending their GPU, the
 * configured PACS, the compute the last job got, and the pixel reads' cache.
 */
export class StudioSession {
  readonly dir: string;
  readonly jobs: JobRegistry;
  /** which jobs run now and which wait their turn */
  readonly queue: JobQueue;
  /** jobs at once per lane, and the memory a job of given settings needs */
  readonly limits: JobLimits;
  /** pages on this machine that lend their WebGPU adapter to training */
  readonly browserGpus = new BrowserGpuPool((workerId, task) => this.emit({ type: 'gpu-task', workerId, task }));
  readonly pixels = new PixelReads();
  /** the series list's planes, computed once per import of a series */
  readonly planes = new SeriesPlanes();
  /** configured PACS: configuring one is the first thing a workspace may see, so it creates the workspace */
  readonly pacs = new PacsService(() => this.workspaceOrNull() ?? (this.workspaceHandle = Workspace.open(this.dir, { create: true })));
  /** what the last job ran on, for the interface's header */
  compute: { lastUsed: string | null; notes: string[] } = { lastUsed: null, notes: [] };
  private workspaceHandle: Workspace | null = null;
  private readonly listeners = new Set<(event: StudioEvent) => void>();
  /** results of jobs still running, awaited on shutdown so their last checkpoint lands */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(readonly options: StudioServiceOptions) {
    this.dir = resolve(options.workspace);
    this.jobs = new JobRegistry((event) => this.emit(event));
    this.limits = jobLimits(options.jobLimits);
    this.queue = new JobQueue(this.limits, {
      freeMemory: options.freeMemory,
      onWaiting: (id, place) => this.jobs.waiting(id, place),
    });
  }

  onEvent(listener: (event: StudioEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: StudioEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener that throws (a closed socket) must not stop the others.
      }
    }
  }

  /** The open workspace, or null while nothing has been imported yet. */
  workspaceOrNull(): Workspace | null {
    if (!this.workspaceHandle && existsSync(join(this.dir, CATALOGUE_FILE))) {
      this.workspaceHandle = Workspace.open(this.dir, { create: false, access: 'read' });
    }
    return this.workspaceHandle;
  }

  requireWorkspace(): Workspace {
    const workspace = this.workspaceOrNull();
    if (!workspace) throw new InputError(`the workspace ${this.dir} is empty: import a folder or the sample first`);
    return workspace;
  }

  /** Keeps a running job's result, so that close() waits for it. */
  track(result: Promise<unknown>): void {
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
    this.queue.close();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.all(this.inFlight), new Promise((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
    this.workspaceHandle?.close();
    this.workspaceHandle = null;
  }
}
