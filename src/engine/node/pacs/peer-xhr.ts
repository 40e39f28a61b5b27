import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';

/**
 * The XMLHttpRequest that dicomweb-client drives (it takes one per request), made of
 * node:http(s) because Node has none. It differs from a browser's on purpose: it sends
 * only to the configured PACS (a URL outside `base` is refused before any byte leaves),
 * follows no redirect (a redirect could carry credentials to another host), trusts the
 * configured certificate authorities, gives up on silence after `timeoutMs`, and keeps
 * the cause of a failure (`failure`) so that the caller can say what went wrong.
 *
 * Only what dicomweb-client uses is implemented: open, setRequestHeader, send, abort,
 * responseType '' | 'json' | 'arraybuffer', readyState, status, response, the response
 * headers, and the onreadystatechange / onprogress / onloadstart / onloadend handlers.
 */
export interface PeerXhrOptions {
  /** the PACS's base URL; every request must stay under it */
  base: URL;
  timeoutMs: number;
  /** extra trusted certificate authorities (PEM) */
  ca: string | null;
  /** cancels the request in flight */
  signal?: AbortSignal;
}

/** Why a request failed before an HTTP status arrived. */
export type PeerFailure =
  | { kind: 'network'; code: string; message: string }
  | { kind: 'timeout' }
  | { kind: 'aborted' }
  | { kind: 'refused-address'; url: string }
  | { kind: 'redirect'; location: string }
  /** the PACS closed the connection before the response was complete */
  | { kind: 'truncated'; received: number; expected: number | null };

type ProgressHandler = (event: { loaded: number; total: number; lengthComputable: boolean }) => void;

export class PeerXhr {
  readyState = 0;
  status = 0;
  responseType: '' | 'json' | 'arraybuffer' | 'text' = '';
  response: unknown = null;
  withCredentials = false;
  failure: PeerFailure | null = null;
  onreadystatechange: (() => void) | null = null;
  onprogress: ProgressHandler | null = null;
  onloadstart: (() => void) | null = null;
  onloadend: (() => void) | null = null;

  private method = 'GET';
  private url: URL | null = null;
  private readonly headers: Record<string, string> = {};
  private responseHeaders: http.IncomingHttpHeaders = {};
  private request: http.ClientRequest | null = null;
  private done = false;
  private readonly onAbort = () => this.abort();

  constructor(private readonly options: PeerXhrOptions) {}

  open(method: string, url: string): void {
    this.method = method.toUpperCase();
    this.url = new URL(url);
    this.readyState = 1;
  }

  setRequestHeader(name: string, value: string): void {
    this.headers[name] = value;
  }

  getResponseHeader(name: string): string | null {
    const value = this.responseHeaders[name.toLowerCase()];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  }

  getAllResponseHeaders(): string {
    return Object.entries(this.responseHeaders)
      .map(([name, value]) => `${name}: ${Array.isArray(value) ? value.join(', ') : value}`)
      .join('\r\n');
  }

  abort(): void {
    this.fail({ kind: 'aborted' });
  }

  send(body?: ArrayBuffer | Uint8Array | string | null): void {
    const url = this.url;
    if (!url) throw new Error('PeerXhr.send before open');
    if (!isUnder(url, this.options.base)) {
      this.fail({ kind: 'refused-address', url: `${url.origin}${url.pathname}` });
      return;
    }
    const { signal } = this.options;
    if (signal?.aborted) {
      this.fail({ kind: 'aborted' });
      return;
    }
    signal?.addEventListener('abort', this.onAbort);
    const bytes = body == null ? null : typeof body === 'string' ? Buffer.from(body) : Buffer.from(body as ArrayBuffer);
    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.request(url, {
      method: this.method,
      headers: { ...this.headers, ...(bytes ? { 'Content-Length': String(bytes.length) } : {}) },
      timeout: this.options.timeoutMs,
      ...(url.protocol === 'https:' && this.options.ca ? { ca: [...tls.rootCertificates, this.options.ca] } : {}),
    });
    this.request = request;
    request.on('timeout', () => this.fail({ kind: 'timeout' }));
    request.on('error', (error: NodeJS.ErrnoException) =>
      this.fail({ kind: 'network', code: error.code ?? 'ERROR', message: error.message }),
    );
    request.on('response', (response) => this.receive(response));
    this.onloadstart?.();
    request.end(bytes ?? undefined);
  }

  private receive(response: http.IncomingMessage): void {
    const status = response.statusCode ?? 0;
    if (status >= 300 && status < 400) {
      response.resume();
      this.fail({ kind: 'redirect', location: String(response.headers.location ?? '(no Location)') });
      return;
    }
    this.responseHeaders = response.headers;
    const declared = Number(response.headers['content-length']);
    const expected = Number.isFinite(declared) && response.headers['content-length'] !== undefined ? declared : null;
    const chunks: Buffer[] = [];
    let received = 0;
    response.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      this.onprogress?.({ loaded: received, total: expected ?? 0, lengthComputable: expected !== null });
    });
    response.on('error', () => this.fail({ kind: 'truncated', received, expected }));
    response.on('close', () => {
      if (!response.complete) this.fail({ kind: 'truncated', received, expected });
    });
    response.on('end', () => {
      if (this.done) return;
      this.settle();
      this.status = status;
      const bytes = Buffer.concat(chunks);
      this.response = this.decode(bytes);
      this.readyState = 4;
      this.onreadystatechange?.();
      this.onloadend?.();
    });
  }

  private decode(bytes: Buffer): unknown {
    if (this.responseType === 'arraybuffer') return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const text = bytes.toString('utf8');
    if (this.responseType !== 'json') return text;
    try {
      return text.length > 0 ? JSON.parse(text) : null;
    } catch {
      return null;
    }
  }

  private settle(): void {
    this.done = true;
    this.options.signal?.removeEventListener('abort', this.onAbort);
  }

  /** Ends the request as a failure: status 0, as a browser's XHR reports a network error. */
  private fail(failure: PeerFailure): void {
    if (this.done) return;
    this.settle();
    this.failure = failure;
    this.request?.destroy();
    this.status = 0;
    this.readyState = 4;
    this.onreadystatechange?.();
    this.onloadend?.();
  }
}

/** Same scheme, host and port, and a path at or below the base path. */
function isUnder(url: URL, base: URL): boolean {
  if (url.origin !== base.origin) return false;
  const root = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
  return url.pathname === base.pathname || url.pathname.startsWith(root);
}
