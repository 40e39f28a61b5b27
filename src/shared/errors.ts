/**
 * Errors the user can act on. The CLI maps `InputError` to exit code 2 with its
 * message on one line; anything else is an internal failure (exit 1).
 */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(message: string) {
    super(message);
  }
}

/** A file that cannot be used, with the reason a person can read in `skipped`. */
export class UnreadableFileError extends Error {
  override readonly name = 'UnreadableFileError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
