import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { PIXEL_ROUTE_PREFIX, parsePixelRoute } from '../../shared/pixel-urls.ts';
import { errorMessage } from '../../shared/errors.ts';
import type { StudioService } from '../../engine/node/studio/studio-service.ts';
import { RequestGuard, newScope, newToken } from './request-guard.ts';
import { readStaticFile } from './static-files.ts';
import { pageWithPreload } from './page-preload.ts';
import { DEFAULT_LIMITS, MAX_FRAME_BYTES, preloadAnswers, serveWebSocket, type ConnectionLimits } from './websocket-api.ts';

/**
 * The HTTP side of `ssmtl serve`: the built interface, pixel data by URL, and the API
 * over a WebSocket, all under the server's scope path (request-guard.ts says why), which
 * the renderer never names: its URLs are relative to the page. The printed URL
 * (`/?token=…`, CONTRACT.md) redirects there. Scripts that send the token in the
 * x-ssmtl-token header may use the same paths without the scope (/api/ws). Every
 * request passes the RequestGuard first.
 */
export const WEBSOCKET_PATH = 'api/ws';

/** The same policy as the page's meta tag, sent as a header too (it also covers the WebSocket). */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export interface StudioServer {
  url: string;
  token: string;
  /** the path the interface lives under, '/s/<random>/' */
  scope: string;
  /** the session cookie's name (it carries the port) */
  cookieName: string;
  close(): Promise<void>;
}

export async function startStudioServer(options: {
  service: StudioService;
  webRoot: string;
  host: string;
  port: number;
  log: (line: string) => void;
  /** what one WebSocket client may hold of the server (tests lower them) */
  connectionLimits?: ConnectionLimits;
}): Promise<StudioServer> {
  const { service, webRoot, host, log } = options;
  const token = newToken();
  const scope = newScope();
  let guard: RequestGuard | null = null;
  // A client that dribbles its request headers is cut off after 10 s (checked every 2 s).
  const timeouts = { headersTimeout: 10_000, requestTimeout: 60_000, connectionsCheckingInterval: 2_000 };
  const server: Server = createServer(timeouts, (request, response) => {
    try {
      handle(request, response);
    } catch (error) {
      log(`request failed: ${errorMessage(error)}`);
      if (!response.headersSent) respond(response, 500, 'internal error');
    }
  });

  function handle(request: IncomingMessage, response: ServerResponse): void {
    const url = requestUrl(request);
    const refusal = (guard as RequestGuard).check(request, url, { requireOrigin: false });
    if (refusal) return respond(response, refusal.status, refusal.reason);
    if (request.method !== 'GET' && request.method !== 'HEAD') return respond(response, 405, 'only GET');
    if (url.pathname === '/') {
      // The printed URL: on to the scope, token and all, so the page there sets the cookie.
      response.writeHead(303, { Location: `${scope}${url.search}`, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
      response.end();
      return;
    }
    // The page lives under the scope; a script that sends the token in a header may use the bare paths.
    const path = url.pathname.startsWith(scope) ? url.pathname.slice(scope.length - 1) : url.pathname;
    if (path.startsWith(`/${PIXEL_ROUTE_PREFIX}`)) {
      const route = parsePixelRoute(path.slice(PIXEL_ROUTE_PREFIX.length + 1));
      const answer = route && service.readPixels(route);
      if (!answer) return respond(response, 404, 'no such slice');
      response.writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': answer.bytes.byteLength,
        'X-Rows': answer.rows,
        'X-Cols': answer.cols,
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
      });
      response.end(request.method === 'HEAD' ? undefined : answer.bytes);
      return;
    }
    const file = readStaticFile(webRoot, path);
    if (!file) return respond(response, 404, 'not found');
    const send = (body: Buffer) => {
      const headers: Record<string, string | number> = {
        'Content-Type': file.type,
        'Content-Length': body.byteLength,
        'Content-Security-Policy': CONTENT_SECURITY_POLICY,
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cache-Control': path.startsWith('/assets/') ? 'private, max-age=31536000, immutable' : 'no-store',
      };
      // The first load carries the token in the URL; later requests (assets, reloads, the
      // WebSocket) carry it in a cookie no script can read, no other site can send, and
      // the browser sends to this server's scope only.
      if (url.searchParams.has('token')) headers['Set-Cookie'] = (guard as RequestGuard).sessionCookie();
      response.writeHead(200, headers);
      response.end(request.method === 'HEAD' ? undefined : body);
    };
    // The page itself comes with the answers it asks for first (page-preload.ts).
    if (file.type.startsWith('text/html') && (path === '/' || path === '/index.html'))
      void preloadAnswers(service)
        .then((preload) => send(pageWithPreload(file.body, preload)))
        .catch((error: unknown) => log(`request failed: ${errorMessage(error)}`));
    else send(file.body);
  }

  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  server.on('upgrade', (request, socket, head) => {
    // Node hands an upgrade's socket over without an 'error' listener: a client that
    // resets the connection (even one without the token, while being refused) would
    // otherwise end the process. ws adds its own listener once the upgrade completes.
    socket.on('error', () => socket.destroy());
    const url = requestUrl(request);
    const refusal =
      url.pathname === `${scope}${WEBSOCKET_PATH}` || url.pathname === `/${WEBSOCKET_PATH}`
        ? (guard as RequestGuard).check(request, url, { requireOrigin: true })
        : { status: 404, reason: 'not found' };
    if (refusal) {
      socket.end(`HTTP/1.1 ${refusal.status} Refused\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${refusal.reason}\n`);
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => serveWebSocket(ws, service, log, options.connectionLimits ?? DEFAULT_LIMITS));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const hostHeader = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  guard = new RequestGuard(token, hostHeader, port, scope);
  return {
    url: `http://${hostHeader}/?token=${token}`,
    token,
    scope,
    cookieName: guard.cookieName,
    close: async () => {
      for (const client of sockets.clients) client.close(1001, 'server stopping');
      sockets.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function respond(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  response.end(`${text}\n`);
}

/** A request's path and query. Host checks are the RequestGuard's, so the URL's own base is never trusted or used. */
function requestUrl(request: IncomingMessage): URL {
  return new URL(request.url ?? '/', 'http://request.invalid');
}
