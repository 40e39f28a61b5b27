import type { GpuJobEvent, GpuReport, GpuStartTask, GpuTask, GpuUploadPart } from '../../../../shared/gpu-worker.ts';
import { InputError } from '../../../../shared/errors.ts';
import type { JobCommand } from '../../../../shared/job.ts';
import { decodeCheckpoint, type CheckpointHeader } from '../../../train/checkpoint-codec.ts';
import type { JobControl } from '../../../train/control.ts';
import type { TensorRecord } from '../../../train/ssmtl-trainer.ts';
import { JobFailedError } from '../../process/job-failed-error.ts';

/** How long a cancelled run may take to send its last checkpoint (the paper's model: ~400 MB). */
const CANCEL_GRACE_MS = 120_000;

export interface BrowserGpuRunHooks {
  control?: JobControl;
  onEvent(event: GpuJobEvent): void;
  /** writes a checkpoint the worker uploaded; awaited before the worker hears it is safe */
  onCheckpoint?(header: CheckpointHeader, tensors: TensorRecord[], reason: Exclude<GpuUploadPart['reason'], 'done'>): Promise<void>;
}

type Finished = Extract<GpuReport, { type: 'finished' }>['result'];

/**
 * The engine host's side of one run in a page's GPU worker on this machine
 * (shared/gpu-worker.ts), whatever it does: starts it, forwards pause/resume/cancel,
 * relays its events, hands the payload out, turns uploads into checkpoints, final weights
 * or a prediction, and fails the run when the page goes away. browser-gpu-trainers.ts
 * adapts it to pre-training and fine-tuning, browser-gpu-pool.ts to segmentation.
 */
export class BrowserGpuRun {
  private hooks: BrowserGpuRunHooks | null = null;
  private settle: { resolve: (result: Finished) => void; reject: (error: Error) => void } | null = null;
  private ended: Error | null = null;
  private upload: { kind: GpuUploadPart['kind']; buffer: Uint8Array; received: number } | null = null;
  private finalWeights: TensorRecord[] | null = null;
  private prediction: Uint8Array | null = null;
  private unsubscribe: () => void = () => {};
  private cancelTimer: ReturnType<typeof setTimeout> | null = null;
  private cancelSent = false;

  constructor(
    readonly workerId: string,
    readonly task: GpuStartTask,
    private readonly payload: Uint8Array | null,
    private readonly send: (task: GpuTask) => void,
    private readonly onDetach: () => void,
  ) {}

  get jobId(): string {
    return this.task.jobId;
  }

  start(hooks: BrowserGpuRunHooks): Promise<Finished> {
    this.hooks = hooks;
    if (this.ended) return Promise.reject(this.ended);
    const result = new Promise<Finished>((resolve, reject) => (this.settle = { resolve, reject }));
    this.unsubscribe = hooks.control?.onCommand((command) => this.control(command)) ?? (() => {});
    this.send(this.task);
    // A pause or cancel that came before the worker started still reaches it.
    if (hooks.control?.cancelled) this.control('cancel');
    else if (hooks.control?.paused) this.control('pause');
    return result;
  }

  private control(command: JobCommand['type']): void {
    if (this.ended) return;
    this.send({ type: 'control', jobId: this.jobId, command });
    if (command === 'cancel') this.cancelSent = true;
    // A page whose GPU hung keeps its connection but never answers: a cancel still ends the run.
    if (command === 'cancel' && !this.cancelTimer) {
      this.cancelTimer = setTimeout(
        () => this.lost(`the GPU worker did not stop within ${CANCEL_GRACE_MS / 1000} s of the cancel`),
        CANCEL_GRACE_MS,
      );
      this.cancelTimer.unref?.();
    }
  }

  /** A slice of the task's payload. */
  download(offset: number, length: number): Uint8Array {
    if (!this.payload) throw new InputError(`job ${this.jobId} has nothing to download`);
    if (offset >= this.payload.length) throw new InputError(`offset ${offset} is past the payload's ${this.payload.length} bytes`);
    return this.payload.slice(offset, offset + length);
  }

  report(report: GpuReport): void {
    if (this.ended) return;
    switch (report.type) {
      case 'event':
        this.hooks?.onEvent(report.event);
        break;
      case 'finished':
        this.end(null, report.result);
        break;
      case 'failed':
        // A run that stops after a cancel without a result (a segmentation) was cancelled, not failed.
        this.end(new JobFailedError(this.cancelSent ? 'cancelled' : report.kind, `the GPU worker stopped: ${report.message}`));
        break;
    }
  }

  /** One part of a checkpoint or of the final weights; the last part resolves once it is written. */
  async receive(part: GpuUploadPart, bytes: Uint8Array): Promise<void> {
    if (this.ended) throw new InputError(`job ${this.jobId} has ended`);
    if (part.offset === 0) this.upload = { kind: part.kind, buffer: new Uint8Array(part.total), received: 0 };
    const upload = this.upload;
    if (
      !upload ||
      upload.kind !== part.kind ||
      upload.buffer.length !== part.total ||
      part.offset !== upload.received ||
      part.offset + bytes.length > part.total
    ) {
      this.upload = null;
      throw new InputError(`upload part out of order (offset ${part.offset} of ${part.total} bytes)`);
    }
    upload.buffer.set(bytes, part.offset);
    upload.received += bytes.length;
    if (upload.received < part.total) return;
    this.upload = null;
    if (part.kind === 'prediction') {
      this.prediction = upload.buffer;
      return;
    }
    const { header, tensors } = decodeCheckpoint(upload.buffer, "the GPU worker's upload");
    if (part.kind === 'weights') {
      this.finalWeights = tensors;
      return;
    }
    if (part.reason === 'done' || !this.hooks?.onCheckpoint)
      throw new InputError(`a ${this.task.type} run takes no checkpoint ('${part.reason}')`);
    try {
      await this.hooks.onCheckpoint(header, tensors, part.reason);
    } catch (error) {
      // A checkpoint that cannot be written ends the run, as it would in a job process.
      this.end(error as Error);
      throw error;
    }
  }

  /** The page that ran it went away (or stopped answering). */
  lost(why: string): void {
    const after = {
      pretrain: 'the last checkpoint is kept: start the same settings again to resume',
      finetune: 'its last checkpoint, if it took one, is kept: Resume continues it',
      predict: 'nothing was stored: segment again',
    }[this.task.type];
    this.end(new JobFailedError('internal', `${why}; ${after}`));
  }

  private end(error: Error | null, result?: Finished): void {
    if (this.ended) return;
    this.ended = error ?? new InputError(`job ${this.jobId} has ended`);
    this.unsubscribe();
    if (this.cancelTimer) clearTimeout(this.cancelTimer);
    if (error) this.settle?.reject(error);
    else if (result) this.settle?.resolve(result);
  }

  weights(): TensorRecord[] {
    if (!this.finalWeights) throw new Error('the GPU worker finished without sending its weights');
    return this.finalWeights;
  }

  /** The bytes of a finished prediction (engine/segmentation/prediction-bytes.ts). */
  predictionBytes(): Uint8Array {
    if (!this.prediction) throw new Error('the GPU worker finished without sending its prediction');
    return this.prediction;
  }

  dispose(): void {
    // A run that ended here early (a failed checkpoint write) stops the worker too.
    this.send({ type: 'control', jobId: this.jobId, command: 'cancel' });
    this.end(new InputError(`job ${this.jobId} has ended`));
    this.onDetach();
  }
}
