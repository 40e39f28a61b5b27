import { net, protocol } from 'electron';
import { join, normalize, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { confinedRelativePath } from '../shared/confined-path.ts';
import { PIXEL_ROUTE_PREFIX, parsePixelRoute } from '../shared/pixel-urls.ts';
import type { EngineHost } from './engine-host.ts';

/**
 * The app's own origin, ssmtl://app/: the built renderer's files and, under /api/, the
 * workspace's pixels (shared/pixel-urls.ts) — the same relative URLs serve answers, so
 * the renderer loads slices the same way in both. Nothing outside the renderer build
 * folder is ever read (no path traversal), and pixels come only from the engine,
 * which reads only the workspace.
 */
export const APP_SCHEME = 'ssmtl';
export const APP_ORIGIN = `${APP_SCHEME}://app`;

const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; " +
  "worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: false, stream: true } },
  ]);
}

export function handleAppProtocol(rendererDir: string, engine: () => EngineHost | null): void {
  const root = normalize(rendererDir);
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== 'app' || request.method !== 'GET') return new Response('not found', { status: 404 });
    if (url.pathname.startsWith(`/${PIXEL_ROUTE_PREFIX}`)) {
      const route = parsePixelRoute(url.pathname.slice(PIXEL_ROUTE_PREFIX.length + 1));
      const host = engine();
      const answer = route && host ? await host.pixels(route) : null;
      if (!answer) return new Response('no such slice', { status: 404 });
      return new Response(answer.bytes as unknown as ConstructorParameters<typeof Response>[0], {
        headers: {
          'Content-Type': 'application/octet-stream',
          'X-Rows': String(answer.rows),
          'X-Cols': String(answer.cols),
          'Cache-Control': 'no-store',
        },
      });
    }
    const relative = confinedRelativePath(url.pathname);
    const full = relative === null ? null : join(root, relative);
    if (full === null || !full.startsWith(root + sep)) return new Response('refused', { status: 403 });
    const response = await net.fetch(pathToFileURL(full).toString());
    const headers = new Headers(response.headers);
    headers.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(response.body, { status: response.status, headers });
  });
}
