/**
 * A job process for tests of the process protocol (src/engine/node/process): it answers
 * what it is asked to, so that delivery, caps and cancellation can be checked without
 * training anything.
 */
import { InputError } from '../../src/shared/errors.ts';
import { serveJob } from '../../src/engine/node/process/serve-job.ts';

/** Every job works on a workspace (its storage failures are named by it); this one never opens it. */
export type ProtocolJobRequest = { workspace: string } & (
  { answer: 'result'; bytes: number } | { answer: 'input-error'; chars: number } | { answer: 'crash' } | { answer: 'wait-for-cancel' }
);

serveJob<ProtocolJobRequest, { tick: number }, { text: string }>(async (request, { emit, control }) => {
  switch (request.answer) {
    case 'result':
      return { text: 'x'.repeat(request.bytes) };
    case 'input-error':
      throw new InputError('y'.repeat(request.chars));
    case 'crash':
      process.exit(3);
    case 'wait-for-cancel':
      for (let tick = 0; !control.cancelled; tick++) {
        emit({ tick });
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return { text: 'stopped' };
  }
});
