import type { FinetuneSummary, PredictSummary } from '../../../shared/segmentation.ts';
import type { SegmentationJobEvent } from '../../../shared/segmentation.ts';
import { forkEngineProcess } from './fork-engine-process.ts';
import type { SegmentationMessage, SegmentationRequest } from './segmentation-messages.ts';

export class SegmentationFailedError extends Error {
  override readonly name = 'SegmentationFailedError';
  constructor(
    readonly kind: 'input' | 'internal',
    message: string,
  ) {
    super(message);
  }
}

export interface SegmentationHandle<T> {
  pause(): void;
  resume(): void;
  cancel(): void;
  result: Promise<T>;
}

type Result<R extends SegmentationRequest> = R extends { type: 'finetune' }
  ? FinetuneSummary & { status: 'done' | 'cancelled' }
  : PredictSummary;

/** Runs a fine-tune or predict job in a child process (see segmentation-child.ts). */
export function startSegmentationProcess<R extends SegmentationRequest>(
  request: R,
  on: { event?: (event: SegmentationJobEvent) => void; slice?: (done: number, total: number) => void },
): SegmentationHandle<Result<R>> {
  const child = forkEngineProcess('./segmentation-child.ts');
  let settled = false;
  const result = new Promise<Result<R>>((resolve, reject) => {
    child.on('message', (raw) => {
      const message = raw as SegmentationMessage;
      if (message.type === 'event') on.event?.(message.event);
      else if (message.type === 'slice') on.slice?.(message.done, message.total);
      else if (message.type === 'failed') {
        settled = true;
        reject(new SegmentationFailedError(message.kind, message.message));
      } else {
        settled = true;
        resolve(message.summary as Result<R>);
      }
    });
    child.on('exit', (code, signal) => {
      if (!settled)
        reject(
          new SegmentationFailedError('internal', `the ${request.type} process ended unexpectedly (${signal ?? `exit code ${code}`})`),
        );
    });
    child.on('error', (error) => {
      if (!settled) reject(new SegmentationFailedError('internal', `could not start the ${request.type} process: ${error.message}`));
    });
  });
  child.send(request);
  const send = (type: 'pause' | 'resume' | 'cancel') => {
    if (child.connected) child.send({ type });
  };
  return { pause: () => send('pause'), resume: () => send('resume'), cancel: () => send('cancel'), result };
}
