import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { JobEvent, JobState, PretrainSummary } from '../../shared/job.ts';
import type { PretrainOptions } from './pretrain-job.ts';

/**
 * Starts a pre-training job in a child process and exposes it as a handle: events,
 * pause / resume / cancel, and a promise of the summary. The CLI and `serve` use this;
 * Electron forks job-child.ts with utilityProcess instead.
 */
export class JobFailedError extends Error {
  override readonly name = 'JobFailedError';
  constructor(
    readonly kind: 'input' | 'nan' | 'internal',
    message: string,
  ) {
    super(message);
  }
}

export interface JobHandle {
  readonly pid: number | undefined;
  state(): JobState;
  pause(): void;
  resume(): void;
  cancel(): void;
  /** the summary; rejects with JobFailedError */
  result: Promise<PretrainSummary>;
}

const require = createRequire(import.meta.url);

export function startPretrainProcess(options: PretrainOptions, onEvent: (event: JobEvent) => void = () => {}): JobHandle {
  const entry = fileURLToPath(new URL('./job-child.ts', import.meta.url));
  // TypeScript runs through tsx in the child as it does in the CLI (no build step).
  const tsx = pathToFileURL(require.resolve('tsx/esm')).href;
  const child = fork(entry, [], {
    execArgv: ['--import', tsx],
    // The child's stdout carries library chatter; stdout of the CLI is reserved for JSON.
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: process.env,
  });
  child.stdout?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  let state: JobState = 'starting';
  let settled = false;
  const result = new Promise<PretrainSummary>((resolve, reject) => {
    child.on('message', (message) => {
      const event = message as JobEvent;
      if (event.type === 'state') state = event.state;
      onEvent(event);
      if (event.type === 'done') {
        settled = true;
        state = 'done';
        resolve(event.summary);
      } else if (event.type === 'failed') {
        settled = true;
        state = 'failed';
        reject(new JobFailedError(event.kind, event.message));
      }
    });
    child.on('exit', (code, signal) => {
      if (!settled) {
        state = 'failed';
        reject(new JobFailedError('internal', `the training process ended unexpectedly (${signal ?? `exit code ${code}`})`));
      }
    });
    child.on('error', (error) => {
      if (!settled) reject(new JobFailedError('internal', `could not start the training process: ${error.message}`));
    });
  });
  child.send({ type: 'start', options });
  const send = (type: 'pause' | 'resume' | 'cancel') => {
    if (child.connected) child.send({ type });
  };
  return {
    pid: child.pid,
    state: () => state,
    pause: () => send('pause'),
    resume: () => send('resume'),
    cancel: () => send('cancel'),
    result,
  };
}
