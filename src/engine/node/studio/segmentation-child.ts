/**
 * The fine-tune / predict process: runs one segmentation job of the interface away
 * from the serving thread (the CLI's `finetune` and `predict` run the same functions
 * in their own process). Started by segmentation-process.ts; talks over process.send:
 *   in:  SegmentationRequest, then JobCommand ({ type: 'pause' | 'resume' | 'cancel' })
 *   out: SegmentationMessage, ending with '…-done' or 'failed'
 * If the studio goes away, fine-tuning cancels (an unfinished model is never written).
 */
import { InputError, errorMessage } from '../../../shared/errors.ts';
import type { JobCommand } from '../../../shared/job.ts';
import { JobControl } from '../../train/control.ts';
import { runFinetune } from '../segmentation/finetune-job.ts';
import { runPredict } from '../segmentation/predict-job.ts';
import type { SegmentationMessage, SegmentationRequest } from './segmentation-messages.ts';

const control = new JobControl();
let started = false;

function send(message: SegmentationMessage): void {
  if (process.connected) process.send?.(message);
}

async function run(request: SegmentationRequest): Promise<void> {
  try {
    if (request.type === 'finetune') {
      const summary = await runFinetune(request.options, { emit: (event) => send({ type: 'event', event }), control });
      send({ type: 'finetune-done', summary });
    } else {
      const summary = await runPredict(request.options, { onSlice: (done, total) => send({ type: 'slice', done, total }) });
      send({ type: 'predict-done', summary });
    }
  } catch (error) {
    send({ type: 'failed', kind: error instanceof InputError ? 'input' : 'internal', message: errorMessage(error) });
  }
  setTimeout(() => process.exit(0), 50);
}

process.on('message', (message: SegmentationRequest | JobCommand) => {
  switch (message.type) {
    case 'finetune':
    case 'predict':
      if (!started) {
        started = true;
        void run(message);
      }
      break;
    case 'pause':
    case 'resume':
    case 'cancel':
      control[message.type]();
      // Nothing started yet, so nothing to write: stop at once.
      if (message.type === 'cancel' && !started) process.exit(0);
      break;
  }
});
process.on('disconnect', () => {
  control.cancel();
  if (!started) process.exit(0);
});
