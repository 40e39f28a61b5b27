import { freemem } from 'node:os';
import type { JobKind } from '../../../shared/api.ts';
import type { JobQueuePlace } from '../../../shared/job.ts';
import { LANE_OF, type JobLane, type JobLimits } from './job-limits.ts';

/**
 * Which of the studio's jobs run now and which wait: at most `limits.running` per lane
 * (job-limits.ts), first come first served within a lane, and none starts while free
 * memory is below what it needs and another job of this session, whose end frees
 * memory, is still running (with none running, waiting could last forever: it starts).
 * A job that started a moment ago has not taken its memory yet: its need counts as taken
 * for `STARTUP_GRACE_MS`, so that two jobs do not both start on the same free gigabyte.
 */
export interface QueuedJob {
  id: string;
  kind: JobKind;
  /** bytes of free memory it needs (JobLimits.memoryNeed of its settings) */
  memory: number;
  /** starts the job; the promise settles when it has ended, freeing its slot */
  start: () => Promise<unknown>;
}

export interface JobQueueOptions {
  /** bytes the system can give now (os.freemem: MemAvailable on Linux) */
  freeMemory?: () => number;
  now?: () => number;
  /** called when a waiting job's place or reason changes */
  onWaiting?: (id: string, place: JobQueuePlace) => void;
  /** how often a job waiting for memory looks again (other programs free memory too) */
  recheckMs?: number;
}

const STARTUP_GRACE_MS = 30_000;

const LANE_WORDS: Record<JobLane, [string, string]> = {
  training: ['training job', 'training jobs'],
  predict: ['segmentation', 'segmentations'],
  import: ['import', 'imports'],
};

export class JobQueue {
  private readonly waiting: QueuedJob[] = [];
  private readonly running = new Map<string, { kind: JobKind; memory: number; startedAt: number }>();
  private readonly reported = new Map<string, string>();
  private readonly freeMemory: () => number;
  private readonly now: () => number;
  private recheck: ReturnType<typeof setInterval> | null = null;
  private closed = false;

  constructor(
    private readonly limits: Pick<JobLimits, 'running'>,
    private readonly options: JobQueueOptions = {},
  ) {
    this.freeMemory = options.freeMemory ?? freemem;
    this.now = options.now ?? Date.now;
  }

  /** Where a job of this kind and memory need submitted now would wait, or null when it would start at once. */
  placeFor(kind: JobKind, memory: number): JobQueuePlace | null {
    const lane = LANE_OF[kind];
    const ahead = this.waiting.filter((j) => LANE_OF[j.kind] === lane);
    if (ahead.length > 0) return { position: ahead.length + 1, reason: this.laneReason(ahead[0])?.words ?? 'waiting its turn' };
    const reason = this.laneReason({ kind, memory });
    return reason ? { position: 1, reason: reason.words } : null;
  }

  /** Starts the job now if its lane and memory allow, or queues it behind the others of its lane. */
  submit(job: QueuedJob): void {
    if (this.closed) return;
    this.waiting.push(job);
    this.pump();
  }

  /** Takes a job that has not started out of the queue; false when it is not waiting (started, or unknown). */
  withdraw(id: string): boolean {
    const at = this.waiting.findIndex((j) => j.id === id);
    if (at < 0) return false;
    this.waiting.splice(at, 1);
    this.reported.delete(id);
    this.pump();
    return true;
  }

  /** Ids of the waiting jobs, in the order they would start. */
  queued(): string[] {
    return this.waiting.map((j) => j.id);
  }

  /** Ids of the jobs started and not yet ended. */
  started(): string[] {
    return [...this.running.keys()];
  }

  /** Shutdown: nothing starts any more; the waiting jobs are returned, never to be started. */
  close(): string[] {
    this.closed = true;
    this.stopRecheck();
    return this.waiting.splice(0).map((j) => j.id);
  }

  /** Starts what can start, and tells the jobs still waiting where they stand. */
  pump(): void {
    if (this.closed) return;
    for (let i = 0; i < this.waiting.length;) {
      const job = this.waiting[i];
      const blocked = this.waiting.slice(0, i).some((j) => LANE_OF[j.kind] === LANE_OF[job.kind]);
      if (blocked || this.laneReason(job)) {
        i++;
        continue;
      }
      this.waiting.splice(i, 1);
      this.reported.delete(job.id);
      this.begin(job);
    }
    this.report();
  }

  private begin(job: QueuedJob): void {
    this.running.set(job.id, { kind: job.kind, memory: job.memory, startedAt: this.now() });
    const release = () => {
      this.running.delete(job.id);
      this.pump();
    };
    let ended: Promise<unknown>;
    try {
      ended = job.start();
    } catch {
      ended = Promise.resolve();
    }
    void ended.then(release, release);
  }

  /** Why a job at the head of its lane cannot start now, or null. */
  private laneReason({ kind, memory: need }: Pick<QueuedJob, 'kind' | 'memory'>): { words: string; memory: boolean } | null {
    const lane = LANE_OF[kind];
    const inLane = [...this.running.values()].filter((r) => LANE_OF[r.kind] === lane).length;
    if (inLane >= this.limits.running[lane]) {
      const [one, many] = LANE_WORDS[lane];
      return { words: `${inLane} ${inLane === 1 ? one : many} running`, memory: false };
    }
    if (this.running.size === 0) return null;
    const free = this.freeMemory() - this.memoryClaimedByNewJobs();
    if (free >= need) return null;
    return { words: `needs ${gigabytes(need)} of free memory, ${gigabytes(Math.max(0, free))} free`, memory: true };
  }

  private memoryClaimedByNewJobs(): number {
    const now = this.now();
    let claimed = 0;
    for (const r of this.running.values()) if (now - r.startedAt < STARTUP_GRACE_MS) claimed += r.memory;
    return claimed;
  }

  private report(): void {
    const headReason = new Map<JobLane, string>();
    const positions = new Map<JobLane, number>();
    let waitsForMemory = false;
    for (const job of this.waiting) {
      const lane = LANE_OF[job.kind];
      const position = (positions.get(lane) ?? 0) + 1;
      positions.set(lane, position);
      if (!headReason.has(lane)) {
        const why = this.laneReason(job);
        if (why?.memory) waitsForMemory = true;
        headReason.set(lane, why?.words ?? 'waiting its turn');
      }
      const reason = headReason.get(lane)!;
      const key = `${position}:${reason}`;
      if (this.reported.get(job.id) === key) continue;
      this.reported.set(job.id, key);
      this.options.onWaiting?.(job.id, { position, reason });
    }
    if (waitsForMemory) this.startRecheck();
    else this.stopRecheck();
  }

  private startRecheck(): void {
    if (this.recheck) return;
    this.recheck = setInterval(() => this.pump(), this.options.recheckMs ?? 5000);
    this.recheck.unref?.();
  }

  private stopRecheck(): void {
    if (this.recheck) clearInterval(this.recheck);
    this.recheck = null;
  }
}

function gigabytes(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GB`;
}
