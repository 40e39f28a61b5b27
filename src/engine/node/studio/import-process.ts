import type { Progress } from '../../../shared/progress.ts';
import type { ImportResult } from '../../../shared/series.ts';
import { forkEngineProcess } from './fork-engine-process.ts';
import type { ImportMessage, ImportRequest } from './import-messages.ts';

export interface ImportHandle {
  cancel(): void;
  result: Promise<ImportResult>;
}

export class ImportFailedError extends Error {
  override readonly name = 'ImportFailedError';
  constructor(
    readonly kind: 'input' | 'internal',
    message: string,
  ) {
    super(message);
  }
}

/** Runs one import in a child process (see import-child.ts), with progress. */
export function startImportProcess(request: Omit<ImportRequest, 'type'>, onProgress: (progress: Progress) => void): ImportHandle {
  const child = forkEngineProcess('./import-child.ts');
  let settled = false;
  let cancelled = false;
  const result = new Promise<ImportResult>((resolve, reject) => {
    child.on('message', (raw) => {
      const message = raw as ImportMessage;
      if (message.type === 'progress') onProgress(message.progress);
      else if (message.type === 'done') {
        settled = true;
        resolve(message.result);
      } else {
        settled = true;
        reject(new ImportFailedError(message.kind, message.message));
      }
    });
    child.on('exit', (code, signal) => {
      if (!settled) {
        reject(
          new ImportFailedError(
            'internal',
            cancelled ? 'cancelled' : `the import process ended unexpectedly (${signal ?? `exit code ${code}`})`,
          ),
        );
      }
    });
    child.on('error', (error) => {
      if (!settled) reject(new ImportFailedError('internal', `could not start the import process: ${error.message}`));
    });
  });
  child.send({ type: 'start', ...request } satisfies ImportRequest);
  return {
    cancel: () => {
      cancelled = true;
      if (child.connected) child.send({ type: 'cancel' });
    },
    result,
  };
}
