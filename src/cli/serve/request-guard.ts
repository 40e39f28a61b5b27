import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Who may talk to `ssmtl serve` (CONTRACT.md): only a page that knows the session token
 * printed in the URL, reached at the served address. The Host check defeats DNS
 * rebinding (a remote page whose name resolves to 127.0.0.1); the Origin check defeats
 * cross-site requests and WebSockets from any other page in the same browser.
 *
 * Browsers send a cookie to every port of its host, so the session cookie is bound to
 * this server twice over: its name carries the port (a second `serve` in the same
 * browser sets a cookie of its own instead of overwriting this one), and its Path is
 * the server's scope, a random path the interface lives under. Another program
 * listening on a loopback port never sees the cookie, because the browser never asks it
 * for that path.
 */
export const TOKEN_HEADER = 'x-ssmtl-token';

export function newToken(): string {
  return randomBytes(32).toString('hex');
}

/** The path the interface is served under: '/s/<random>/' (not a secret that grants anything; it only scopes the cookie). */
export function newScope(): string {
  return `/s/${randomBytes(12).toString('hex')}/`;
}

export function tokenCookieName(port: number): string {
  return `ssmtl_token_${port}`;
}

export type Refusal = { status: 400 | 403; reason: string } | null;

export class RequestGuard {
  readonly origin: string;

  readonly cookieName: string;

  constructor(
    readonly token: string,
    private readonly hostHeader: string,
    port: number,
    readonly scope: string,
  ) {
    this.origin = `http://${hostHeader}`;
    this.cookieName = tokenCookieName(port);
  }

  /** The Set-Cookie value that moves the token from the first URL into a cookie only this server's pages send. */
  sessionCookie(): string {
    return `${this.cookieName}=${this.token}; Path=${this.scope}; HttpOnly; SameSite=Strict`;
  }

  /** The token from the query (the first page load), the cookie, or a header. */
  tokenOf(request: IncomingMessage, url: URL): string | null {
    const fromQuery = url.searchParams.get('token');
    if (fromQuery) return fromQuery;
    const header = request.headers[TOKEN_HEADER];
    if (typeof header === 'string') return header;
    for (const part of (request.headers.cookie ?? '').split(';')) {
      const [name, ...value] = part.trim().split('=');
      if (name === this.cookieName) return value.join('=');
    }
    return null;
  }

  check(request: IncomingMessage, url: URL, { requireOrigin }: { requireOrigin: boolean }): Refusal {
    if (request.headers.host !== this.hostHeader)
      return { status: 403, reason: `refused: Host '${request.headers.host ?? ''}' is not ${this.hostHeader}` };
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== this.origin) return { status: 403, reason: `refused: Origin '${origin}' is not ${this.origin}` };
    if (requireOrigin && origin === undefined) return { status: 403, reason: 'refused: no Origin header' };
    // Browsers mark cross-site requests; refuse them even when they carry our cookie.
    const site = request.headers['sec-fetch-site'];
    if (site === 'cross-site') return { status: 403, reason: 'refused: cross-site request' };
    const token = this.tokenOf(request, url);
    if (!token || !sameSecret(token, this.token))
      return { status: 403, reason: 'refused: missing or wrong session token (open the URL that ssmtl serve printed)' };
    return null;
  }
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
