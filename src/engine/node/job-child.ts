/**
 * The job process: runs one pre-training job away from the UI's thread and the CLI's
 * event loop. Started by job-runner.ts (a Node child process) or by Electron's
 * utilityProcess.fork; talks over process.send / process.parentPort:
 *   in:  { type: 'start', options } then JobCommand ({ type: 'pause' | 'resume' | 'cancel' })
 *   out: JobEvent, ending with 'done' or 'failed'
 * If the parent goes away (killed, crashed), the job cancels itself, which writes a
 * checkpoint, and exits: `--resume` picks it up.
 */
import { InputError, errorMessage } from '../../shared/errors.ts';
import type { JobCommand, JobEvent } from '../../shared/job.ts';
import { JobControl } from '../train/control.ts';
import { NonFiniteLossError } from '../train/errors.ts';
import { runPretrain, type PretrainOptions } from './pretrain-job.ts';

type Incoming = { type: 'start'; options: PretrainOptions } | JobCommand;

interface ParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
const control = new JobControl();
let started = false;

function send(event: JobEvent): void {
  if (parentPort) parentPort.postMessage(event);
  else if (process.connected) process.send?.(event);
}

async function start(options: PretrainOptions): Promise<void> {
  try {
    const summary = await runPretrain(options, { emit: send, control });
    send({ type: 'done', summary });
  } catch (error) {
    const kind = error instanceof InputError ? 'input' : error instanceof NonFiniteLossError ? 'nan' : 'internal';
    send({ type: 'failed', kind, message: errorMessage(error) });
    if (kind === 'internal' && process.env.SSMTL_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
  }
  // Let the last message flush before leaving.
  setTimeout(() => process.exit(0), 50);
}

function onMessage(message: Incoming): void {
  switch (message.type) {
    case 'start':
      if (!started) {
        started = true;
        void start(message.options);
      }
      break;
    case 'pause':
    case 'resume':
    case 'cancel':
      control[message.type]();
      break;
  }
}

if (parentPort) parentPort.on('message', (e) => onMessage(e.data as Incoming));
else {
  process.on('message', (m) => onMessage(m as Incoming));
  process.on('disconnect', () => {
    control.cancel();
    if (!started) process.exit(0);
  });
}
process.on('SIGTERM', () => control.cancel());
process.on('SIGINT', () => control.cancel());
