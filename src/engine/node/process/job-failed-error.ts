import { InputError, errorMessage, hintOf, type ErrorHint } from '../../../shared/errors.ts';
import { NonFiniteLossError } from '../../train/errors.ts';

/**
 * How a job ended without its result: 'input' (the user can act: the CLI exits 2),
 * 'nan' (training diverged), 'cancelled' (stopped before it could answer, e.g. an import
 * or a segmentation, which keep nothing of a half-done run) or 'internal'.
 */
export type JobFailureKind = 'input' | 'nan' | 'cancelled' | 'internal';

/** A job that failed, wherever it ran (a job process, a page's GPU worker), with the hint of the error that ended it. */
export class JobFailedError extends Error {
  override readonly name = 'JobFailedError';
  constructor(
    readonly kind: JobFailureKind,
    message: string,
    readonly hint?: ErrorHint,
  ) {
    super(message);
  }
}

/** Failure messages travel to every open interface: longer ones are cut, saying how much was cut. */
export const FAILURE_MESSAGE_MAX_CHARS = 4096;

export function capMessage(message: string, max = FAILURE_MESSAGE_MAX_CHARS): string {
  if (message.length <= max) return message;
  const kept = message.slice(0, max);
  return `${kept} … (${message.length - max} more characters cut)`;
}

/** What a job reports when `error` ends it. */
export function failureOf(error: unknown): JobFailedError {
  const kind =
    error instanceof JobFailedError
      ? error.kind
      : error instanceof InputError
        ? 'input'
        : error instanceof NonFiniteLossError
          ? 'nan'
          : 'internal';
  return new JobFailedError(kind, capMessage(errorMessage(error)), hintOf(error));
}
