import type { GpuPretrainTask, GpuReport, GpuTask, GpuUploadPart } from '../../../shared/gpu-worker.ts';
import { InputError } from '../../../shared/errors.ts';
import type { JobCommand } from '../../../shared/job.ts';
import { decodeCheckpoint, type CheckpointHeader } from '../../train/checkpoint-codec.ts';
import type { PlacedTrainer } from '../../train/placed-trainer.ts';
import type { RunHooks, RunResult, TensorRecord, TrainerSnapshot } from '../../train/ssmtl-trainer.ts';
import { JobFailedError } from '../job-runner.ts';

/**
 * The host's side of a pre-training run that trains in a browser page's GPU worker
 * (shared/gpu-worker.ts): starts it, forwards pause/resume/cancel, relays its events,
 * turns its uploads into the checkpoints and weights the run owner writes, and fails the
 * run when the page goes away. Everything the owner (pretrain-job.ts) sees is a
 * PlacedTrainer, as for a trainer in this process.
 */
/** How long a cancelled run may take to send its last checkpoint (the paper's model: ~400 MB). */
const CANCEL_GRACE_MS = 120_000;

export class RemoteTrainer implements PlacedTrainer {
  readonly threads = 1;
  private hooks: RunHooks = {};
  private settle: { resolve: (result: RunResult) => void; reject: (error: Error) => void } | null = null;
  private ended: Error | null = null;
  private upload: { kind: GpuUploadPart['kind']; buffer: Uint8Array; received: number } | null = null;
  private finalWeights: TensorRecord[] | null = null;
  private unsubscribe: () => void = () => {};
  private cancelTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    readonly workerId: string,
    private readonly task: GpuPretrainTask,
    private readonly resumeBytes: Uint8Array | null,
    private readonly send: (task: GpuTask) => void,
    readonly placed: Omit<PlacedTrainer, 'run' | 'weights' | 'dispose' | 'threads' | 'microBatch'>,
    private readonly onDetach: () => void,
  ) {}

  get jobId(): string {
    return this.task.jobId;
  }

  get backend() {
    return this.placed.backend;
  }
  get heads() {
    return this.placed.heads;
  }
  get plan() {
    return this.placed.plan;
  }
  get stepsPerEpoch() {
    return this.placed.stepsPerEpoch;
  }
  get resumedFrom() {
    return this.placed.resumedFrom;
  }
  get microBatch() {
    return this.task.config.microBatch;
  }

  run(hooks: RunHooks): Promise<RunResult> {
    this.hooks = hooks;
    if (this.ended) return Promise.reject(this.ended);
    const result = new Promise<RunResult>((resolve, reject) => (this.settle = { resolve, reject }));
    this.unsubscribe = hooks.control?.onCommand((command) => this.control(command)) ?? (() => {});
    this.send(this.task);
    // A pause or cancel that came before the worker started still reaches it.
    if (hooks.control?.cancelled) this.control('cancel');
    else if (hooks.control?.paused) this.control('pause');
    return result;
  }

  private control(command: JobCommand['type']): void {
    if (this.ended) return;
    this.send({ type: 'control', jobId: this.task.jobId, command });
    // A page whose GPU hung keeps its connection but never answers: a cancel still ends the run.
    if (command === 'cancel' && !this.cancelTimer) {
      this.cancelTimer = setTimeout(() => this.lost(`the GPU worker did not stop within ${CANCEL_GRACE_MS / 1000} s of the cancel`), CANCEL_GRACE_MS);
      this.cancelTimer.unref?.();
    }
  }

  /** A slice of the checkpoint a resumed run starts from. */
  download(offset: number, length: number): Uint8Array {
    if (!this.resumeBytes) throw new InputError(`job ${this.jobId} starts fresh: there is no checkpoint to download`);
    if (offset >= this.resumeBytes.length) throw new InputError(`offset ${offset} is past the checkpoint's ${this.resumeBytes.length} bytes`);
    return this.resumeBytes.slice(offset, offset + length);
  }

  report(report: GpuReport): void {
    if (this.ended) return;
    switch (report.type) {
      case 'event':
        this.hooks.onEvent?.(report.event);
        break;
      case 'finished':
        this.end(null, report.result);
        break;
      case 'failed':
        this.end(new JobFailedError(report.kind, `the GPU worker stopped: ${report.message}`));
        break;
    }
  }

  /** One part of a checkpoint or of the final weights; the last part resolves once it is written. */
  async receive(part: GpuUploadPart, bytes: Uint8Array): Promise<void> {
    if (this.ended) throw new InputError(`job ${this.jobId} has ended`);
    if (part.offset === 0) this.upload = { kind: part.kind, buffer: new Uint8Array(part.total), received: 0 };
    const upload = this.upload;
    if (!upload || upload.kind !== part.kind || upload.buffer.length !== part.total || part.offset !== upload.received || part.offset + bytes.length > part.total) {
      this.upload = null;
      throw new InputError(`upload part out of order (offset ${part.offset} of ${part.total} bytes)`);
    }
    upload.buffer.set(bytes, part.offset);
    upload.received += bytes.length;
    if (upload.received < part.total) return;
    this.upload = null;
    const { header, tensors } = decodeCheckpoint(upload.buffer, "the GPU worker's upload");
    if (part.kind === 'weights') {
      this.finalWeights = tensors;
      return;
    }
    if (part.reason === 'done') throw new InputError("a checkpoint's reason cannot be 'done'");
    try {
      await this.hooks.onCheckpoint?.(this.snapshot(header, tensors), part.reason);
    } catch (error) {
      // A checkpoint that cannot be written ends the run, as it would in this process.
      this.end(error as Error);
      throw error;
    }
  }

  private snapshot(header: CheckpointHeader, tensors: TensorRecord[]): TrainerSnapshot {
    const { tensors: _index, ...rest } = header;
    const snapshot = { ...rest, tensors } as unknown as TrainerSnapshot;
    const expected = this.task.config;
    const same = (['size', 'width', 'batch', 'lr', 'seed'] as const).every((k) => snapshot.config?.[k] === expected[k]) && snapshot.config?.ts?.join() === expected.ts.join();
    const counters = [snapshot.epoch, snapshot.step, snapshot.globalStep, snapshot.adamStep].every((n) => Number.isInteger(n) && n >= 0);
    if (snapshot.version !== 1 || !same || !counters || !Array.isArray(snapshot.perEpoch) || !Array.isArray(snapshot.perEpochHeads)) {
      throw new InputError("the GPU worker's checkpoint does not belong to this run");
    }
    return snapshot;
  }

  /** The page that ran it went away. */
  lost(why: string): void {
    this.end(new JobFailedError('internal', `${why}; the last checkpoint is kept: start the same settings again to resume`));
  }

  private end(error: Error | null, result?: RunResult): void {
    if (this.ended) return;
    this.ended = error ?? new InputError(`job ${this.jobId} has ended`);
    this.unsubscribe();
    if (this.cancelTimer) clearTimeout(this.cancelTimer);
    if (error) this.settle?.reject(error);
    else if (result) this.settle?.resolve(result);
  }

  async weights(): Promise<TensorRecord[]> {
    if (!this.finalWeights) throw new Error('the GPU worker finished without sending its weights');
    return this.finalWeights;
  }

  async dispose(): Promise<void> {
    // A run that ended here early (a failed checkpoint write) stops the worker too.
    this.send({ type: 'control', jobId: this.task.jobId, command: 'cancel' });
    this.end(new InputError(`job ${this.jobId} has ended`));
    this.onDetach();
  }
}
