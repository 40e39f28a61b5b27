import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { StudioService } from '../../engine/node/studio/studio-service.ts';
import { startStudioServer, type StudioServer } from './studio-server.ts';
import { preloadAnswers } from './websocket-api.ts';

/** Raw requests, so Host and Origin can be anything (fetch would set them itself). */
function get(
  url: URL,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, headers, setHost: !('Host' in headers) },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('ssmtl serve: who may talk to it', () => {
  let dir: string;
  let server: StudioServer;
  let service: StudioService;
  let base: URL;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ssmtl-serve-'));
    const web = join(dir, 'web');
    mkdirSync(join(web, 'assets'), { recursive: true });
    writeFileSync(join(web, 'index.html'), '<!doctype html><html><head><title>t</title></head><body></body></html>');
    writeFileSync(join(web, 'assets', 'a.js'), 'export {};');
    writeFileSync(join(dir, 'secret.txt'), 'outside the web root');
    service = new StudioService({ workspace: join(dir, 'workspace'), transport: 'serve' });
    server = await startStudioServer({ service, webRoot: web, host: '127.0.0.1', port: 0, log: () => {} });
    base = new URL(server.url);
  });

  afterAll(async () => {
    await server.close();
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const cookie = () => ({ Cookie: `${server.cookieName}=${server.token}` });
  const inScope = (path: string) => new URL(`${server.scope}${path}`, base);

  it('sends the printed URL on to its scope, where the page hands over a cookie bound to this server', async () => {
    const printed = await get(base);
    expect(printed.status).toBe(303);
    expect(printed.headers.location).toBe(`${server.scope}?token=${server.token}`);
    expect(server.scope).toMatch(/^\/s\/[0-9a-f]{24}\/$/);
    const page = await get(new URL(printed.headers.location!, base));
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>t</title>');
    // The name carries the port (a second serve sets its own); the Path keeps it from every other port's pages.
    expect(server.cookieName).toBe(`ssmtl_token_${base.port}`);
    expect(String(page.headers['set-cookie'])).toBe(
      `${server.cookieName}=${server.token}; Path=${server.scope}; HttpOnly; SameSite=Strict`,
    );
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect((await get(inScope('assets/a.js'), cookie())).status).toBe(200);
    // A script with the token in a header may leave the scope out; without the token nothing is served anywhere.
    expect((await get(new URL('/assets/a.js', base), { 'x-ssmtl-token': server.token })).status).toBe(200);
    expect((await get(new URL('/assets/a.js', base))).status).toBe(403);
    expect((await get(new URL(`/s/${'0'.repeat(24)}/assets/a.js`, base), cookie())).status).toBe(404);
  });

  it("writes the answers a page asks for first into the page (the same as the WebSocket's first message)", async () => {
    const page = await get(inScope(''), cookie());
    const element = /<script type="application\/json" id="ssmtl-preload">(.*?)<\/script><\/head>/.exec(page.body);
    expect(element, page.body).not.toBeNull();
    expect(JSON.parse(element![1])).toEqual(await preloadAnswers(service));
    expect(Number(page.headers['content-length'])).toBe(Buffer.byteLength(page.body));
    expect(page.headers['cache-control']).toBe('no-store');
    // Scripts and other files are sent as they are.
    expect((await get(inScope('assets/a.js'), cookie())).body).toBe('export {};');
  });

  it('refuses requests without the token, with a wrong one, or from elsewhere', async () => {
    expect((await get(new URL('/', base))).status).toBe(403);
    expect((await get(new URL('/?token=00', base))).status).toBe(403);
    expect((await get(inScope(''), { Cookie: `${server.cookieName}=${'0'.repeat(64)}` })).status).toBe(403);
    // The token under another port's cookie name is not this server's cookie.
    expect((await get(inScope(''), { Cookie: `ssmtl_token_1=${server.token}` })).status).toBe(403);
    // DNS rebinding: our address under another name.
    expect((await get(base, { Host: `evil.example:${base.port}` })).status).toBe(403);
    expect((await get(base, { Origin: 'http://evil.example' })).status).toBe(403);
    expect((await get(base, { 'Sec-Fetch-Site': 'cross-site', ...cookie() })).status).toBe(403);
  });

  it('never serves a file outside the interface build', async () => {
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt', '/%00']) {
      const answer = await get(new URL(`${server.scope.slice(0, -1)}${path}`, base), cookie());
      expect(answer.status, path).not.toBe(200);
      expect(answer.body).not.toContain('outside the web root');
    }
  });

  it('answers pixel routes only for slices that exist', async () => {
    expect((await get(inScope('api/series/1.2.3/slices/0'), cookie())).status).toBe(404);
    expect((await get(inScope('api/series/1.2.3/slices/-1'), cookie())).status).toBe(404);
  });

  it('takes API calls over a WebSocket from our origin only, validating each', async () => {
    const wsUrl = `ws://127.0.0.1:${base.port}${server.scope}api/ws`;
    const refused = new WebSocket(wsUrl, { headers: { ...cookie(), Origin: 'http://evil.example' } });
    await expect(new Promise((resolve, reject) => (refused.on('open', resolve), refused.on('error', reject)))).rejects.toThrow();
    const socket = new WebSocket(wsUrl, { headers: { ...cookie(), Origin: `http://127.0.0.1:${base.port}` } });
    // Its first message, unasked: what a page asks for first, as the service answers it (rpc.ts PRELOADED_METHODS).
    const first = new Promise<unknown>((resolve) => socket.once('message', (data: Buffer) => resolve(JSON.parse(data.toString()))));
    await new Promise((resolve, reject) => (socket.on('open', resolve), socket.on('error', reject)));
    expect(await first).toEqual({
      preload: {
        workspace: await service.workspace(),
        listSeries: await service.listSeries(),
        listModels: await service.listModels(),
        listLabels: await service.listLabels(),
        listJobs: await service.listJobs(),
      },
    });
    const call = (id: number, method: string, params: unknown[]) =>
      new Promise<{ id: number; result?: unknown; error?: string }>((resolve) => {
        const onMessage = (data: Buffer) => {
          const message = JSON.parse(data.toString()) as { id?: number };
          if (message.id === id) {
            socket.off('message', onMessage);
            resolve(message as { id: number; result?: unknown; error?: string });
          }
        };
        socket.on('message', onMessage);
        socket.send(JSON.stringify({ id, method, params }));
      });
    expect((await call(1, 'listSeries', [])).result).toEqual([]);
    expect((await call(2, 'deleteEverything', [])).error).toMatch(/unknown API method/);
    expect((await call(3, 'startImport', ['not a list'])).error).toMatch(/expected a list/);
    expect((await call(4, 'startPredict', [{ model: '../../etc', seriesId: 'x' }])).error).toMatch(/model name/);
    expect((await call(5, 'saveAnnotation', ['x', 0, 'not bytes'])).error).toMatch(/expected bytes/);
    socket.close();
  });
});
