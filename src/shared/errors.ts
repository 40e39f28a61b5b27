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

/** "'a', 'b' and 1998 more": names in a message, a few of them however many there are. */
export function quoteSome(values: readonly string[], max = 5): string {
  const shown = values
    .slice(0, max)
    .map((v) => `'${v.length > 80 ? `${v.slice(0, 80)}…` : v}'`)
    .join(', ');
  return values.length > max ? `${shown} and ${values.length - max} more` : shown;
}
