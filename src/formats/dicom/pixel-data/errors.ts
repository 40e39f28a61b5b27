/**
 * Why a frame's pixel data could not be decoded. `reason` is written for the user: it is
 * shown next to the file in `skipped`, so it names what was wrong with the file (and, for
 * encodings we cannot read, which encoding), not which function noticed.
 */
export class PixelDataError extends Error {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
    this.name = 'PixelDataError';
  }
}

/** A codec's exception as text: embind throws Errors, strings, or bare C++ exception pointers (numbers). */
export function describeCodecFailure(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  return 'the decoder reported an internal error';
}
