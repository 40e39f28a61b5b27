import type { JobKind, JobSummary, LossPoint, StudioEvent } from '../../../shared/api.ts';
import { InputError } from '../../../shared/errors.ts';
import { isActiveJob, type JobCommand, type JobQueuePlace } from '../../../shared/job.ts';

/**
 * The jobs of one studio session (imports, pre-training, fine-tuning, predictions):
 * their summaries as the interface shows them, and the events that update it.
 * Progress is pushed at most a few times a second per job so a fast import cannot
 * flood a WebSocket or an IPC channel; state changes are pushed at once.
 */
const PUSH_INTERVAL_MS = 200;
/** Loss charts keep at most this many points; older ones are thinned evenly. */
const MAX_LOSS_POINTS = 400;

export interface JobControls {
  pause?: () => void;
  resume?: () => void;
  cancel: () => void;
}

export class JobRegistry {
  private readonly jobs = new Map<
    string,
    { summary: JobSummary; controls: JobControls; lastPush: number; pending: ReturnType<typeof setTimeout> | null }
  >();
  private nextId = 1;

  constructor(private readonly emit: (event: StudioEvent) => void) {}

  /** A new job: starting, or waiting in the queue (`queue`, job-queue.ts) with only a cancel control. */
  create(kind: JobKind, title: string, controls: JobControls, queue: JobQueuePlace | null = null): JobSummary {
    const id = `${kind}-${this.nextId++}`;
    const summary: JobSummary = {
      id,
      kind,
      title,
      state: queue ? 'queued' : 'starting',
      fraction: 0,
      detail: '',
      etaSeconds: null,
      startedAt: new Date().toISOString(),
      endedAt: null,
      backend: '',
      backendNotes: [],
      lossHistory: [],
      message: null,
      produced: [],
      skipped: [],
      canPause: Boolean(controls.pause),
      queue,
    };
    this.jobs.set(id, { summary, controls, lastPush: 0, pending: null });
    this.emit({ type: 'job', job: { ...summary } });
    return { ...summary };
  }

  get(id: string): JobSummary | undefined {
    const job = this.jobs.get(id);
    return job && { ...job.summary };
  }

  list(): JobSummary[] {
    return [...this.jobs.values()].map((j) => ({ ...j.summary })).reverse();
  }

  controls(id: string): JobControls | undefined {
    return this.jobs.get(id)?.controls;
  }

  /** A queued job has left the queue and started: the controls of its process from now on. */
  started(id: string, controls: JobControls): void {
    const job = this.jobs.get(id);
    if (!job) return;
    job.controls = controls;
    this.update(id, { state: 'starting', queue: null, canPause: Boolean(controls.pause) }, { urgent: true });
  }

  /** A queued job's new place in the queue. */
  waiting(id: string, queue: JobQueuePlace): void {
    if (this.jobs.get(id)?.summary.state !== 'queued') return;
    this.update(id, { queue }, { urgent: true });
  }

  /** Passes pause / resume / cancel on to a job; refuses what the job cannot do. */
  command(id: string, command: JobCommand['type']): JobSummary {
    const job = this.jobs.get(id);
    if (!job) throw new InputError(`no job '${id}'`);
    if (job.summary.state === 'queued' && command !== 'cancel')
      throw new InputError(`${job.summary.title} is queued and has not started: it can only be cancelled`);
    const action = job.controls[command];
    if (!action) throw new InputError(`${job.summary.title} cannot be ${command === 'pause' ? 'paused' : 'resumed'}`);
    action();
    return { ...job.summary };
  }

  /** Jobs that have not ended: queued ones and those running. */
  active(): JobSummary[] {
    return this.list().filter((j) => isActiveJob(j.state));
  }

  /** Changes a job; `urgent` pushes now (state changes), otherwise the push is throttled. */
  update(id: string, change: Partial<JobSummary>, { urgent = false }: { urgent?: boolean } = {}): void {
    const job = this.jobs.get(id);
    if (!job) return;
    Object.assign(job.summary, change);
    if (change.state && !isActiveJob(change.state)) job.summary.endedAt = new Date().toISOString();
    const now = Date.now();
    if (urgent || now - job.lastPush >= PUSH_INTERVAL_MS) {
      this.push(id);
    } else if (!job.pending) {
      job.pending = setTimeout(() => this.push(id), PUSH_INTERVAL_MS - (now - job.lastPush));
    }
  }

  addLoss(id: string, point: LossPoint): void {
    const job = this.jobs.get(id);
    if (!job) return;
    const history = job.summary.lossHistory;
    history.push(point);
    if (history.length > MAX_LOSS_POINTS) job.summary.lossHistory = history.filter((_, i) => i % 2 === 0 || i === history.length - 1);
  }

  private push(id: string): void {
    const job = this.jobs.get(id);
    if (!job) return;
    if (job.pending) clearTimeout(job.pending);
    job.pending = null;
    job.lastPush = Date.now();
    this.emit({ type: 'job', job: { ...job.summary } });
  }

  /** Cancels every job (shutdown): queued ones first, so that none starts; each running one writes its checkpoint and stops. */
  cancelAll(): void {
    const active = this.active().sort((a, b) => Number(b.state === 'queued') - Number(a.state === 'queued'));
    for (const job of active) this.jobs.get(job.id)?.controls.cancel();
  }
}
