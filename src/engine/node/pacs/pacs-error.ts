import { InputError } from '../../../shared/errors.ts';

/**
 * A PACS exchange that failed, in words a person can act on (the CLI prints it on one
 * line and exits 2). `transient` failures (refused or reset connections, silence, a
 * busy or restarting server) are tried again; the rest (a refused login, an unknown
 * series, a rejected association) are not. Messages never carry a secret.
 */
export class PacsError extends InputError {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
  }
}

/** The user stopped the transfer. */
export class PacsCancelled extends InputError {
  constructor() {
    super('the transfer was cancelled');
  }
}

const NETWORK_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused: is the PACS running, and is the port right?',
  ECONNRESET: 'the connection was reset',
  EHOSTUNREACH: 'the host cannot be reached',
  ENETUNREACH: 'the network cannot be reached',
  ENOTFOUND: 'the host name is unknown',
  EAI_AGAIN: 'the host name cannot be resolved now',
  EPIPE: 'the connection was closed while sending',
  CERT_HAS_EXPIRED: 'its TLS certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed: give the CA with --ca FILE',
  SELF_SIGNED_CERT_IN_CHAIN: 'its TLS certificate chain has a self-signed CA: give it with --ca FILE',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its TLS certificate cannot be verified: give the CA with --ca FILE',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its TLS certificate is for another host name',
};

const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EPIPE', 'ETIMEDOUT']);

/** Codes that mean the PACS was never reached (the rest: a connection that broke). */
const UNREACHED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

export function networkError(peer: string, code: string, message: string, doing: string): PacsError {
  const words = NETWORK_WORDS[code] ?? `${message} (${code})`;
  const what = UNREACHED.has(code) ? `cannot reach the PACS at ${peer}` : `the connection to the PACS at ${peer} failed while ${doing}`;
  return new PacsError(`${what}: ${words}`, TRANSIENT_CODES.has(code));
}

export function timeoutError(peer: string, seconds: number, doing: string): PacsError {
  return new PacsError(`the PACS at ${peer} did not answer for ${seconds} s while ${doing} (time-out; raise it with --timeout)`, true);
}

/**
 * Runs `attempt` and tries again, after 0.5 s, 1 s, 2 s…, while it fails transiently;
 * the last failure says how many tries were made.
 */
export async function withRetries<T>(
  retries: number,
  attempt: () => Promise<T>,
  { signal, onRetry }: { signal?: AbortSignal; onRetry?: (error: PacsError, next: number) => void } = {},
): Promise<T> {
  for (let tried = 0; ; tried++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof PacsError) || !error.transient || signal?.aborted) throw error;
      if (tried >= retries) {
        throw tried === 0 ? error : new PacsError(`${error.message} (tried ${tried + 1} times)`, false);
      }
      onRetry?.(error, tried + 2);
      await delay(500 * 2 ** tried, signal);
    }
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', stop);
      resolve();
    };
    const timer = setTimeout(stop, ms);
    signal?.addEventListener('abort', stop);
  });
}
