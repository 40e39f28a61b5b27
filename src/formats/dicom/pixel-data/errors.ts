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

/**
 * A codec's exception as text. The wasm codecs throw C++ exceptions, which reach
 * JavaScript as bare pointers (numbers) whose message cannot be read; they mean the
 * codec rejected the data.
 */
export function describeCodecFailure(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  return 'corrupt or truncated data';
}
