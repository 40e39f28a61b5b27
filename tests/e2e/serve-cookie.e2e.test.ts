import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServeProcess, type ServeProcess } from '../helpers/start-serve-process.ts';
import { hasChromium, launchChromium } from './serve-session.ts';

/**
 * Cookies ignore ports. Two `serve`s in one browser must not overwrite each other's
 * session, and a third program listening on loopback must never receive a token, even
 * when the same browser visits it.
 */
describe.skipIf(!hasChromium)('the session cookie is bound to its server', () => {
  let first: ServeProcess;
  let second: ServeProcess;
  let third: Server;
  let thirdPort: number;
  const cookiesSeenByThird: string[] = [];
  let browser: Browser;

  beforeAll(async () => {
    [first, second] = await Promise.all([startServeProcess(), startServeProcess()]);
    third = createServer((request, response) => {
      cookiesSeenByThird.push(request.headers.cookie ?? '');
      response.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>third</title>');
    });
    await new Promise<void>((resolve) => third.listen(0, '127.0.0.1', resolve));
    thirdPort = (third.address() as AddressInfo).port;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    third?.close();
    await Promise.all([first?.stop(), second?.stop()]);
  });

  /** The API through the page's own WebSocket (relative URL, cookie only), as the renderer reaches it. */
  const listSeriesFromPage = (page: Page) =>
    page.evaluate(`new Promise((resolve, reject) => {
      const socket = new WebSocket(new URL('api/ws', location.href.replace(/^http/, 'ws').split('?')[0]));
      socket.onopen = () => socket.send(JSON.stringify({ id: 1, method: 'listSeries', params: [] }));
      socket.onmessage = (message) => {
        const answer = JSON.parse(String(message.data));
        if (answer.id === 1) resolve(answer);
      };
      socket.onerror = () => reject(new Error('WebSocket refused'));
    })`);

  it('keeps both sessions of two servers in one browser, and gives a third listener no token', async () => {
    const context = await browser.newContext();
    const a = await context.newPage();
    const b = await context.newPage();
    expect((await a.goto(first.url))?.status()).toBe(200);
    expect((await b.goto(second.url))?.status()).toBe(200);
    // Reloading each without the token (as after the page drops it from the address bar) still works.
    for (const [page, server] of [
      [a, first],
      [b, second],
    ] as const) {
      expect((await page.goto(`http://127.0.0.1:${server.port}${server.scope}`))?.status(), server.url).toBe(200);
      expect(await listSeriesFromPage(page)).toEqual({ id: 1, result: [] });
    }
    const c = await context.newPage();
    for (const path of ['/', '/s/', first.scope.replace(/[0-9a-f]+\/$/, ''), '/api/ws', '/assets/x.js'])
      await c.goto(`http://127.0.0.1:${thirdPort}${path}`);
    expect(cookiesSeenByThird.length).toBeGreaterThanOrEqual(5); // and the favicons
    for (const header of cookiesSeenByThird) {
      expect(header).not.toContain(first.token);
      expect(header).not.toContain(second.token);
    }
    // The browser does hold both cookies, one per server.
    const names = (await context.cookies()).map((cookie) => `${cookie.name} ${cookie.path}`).sort();
    expect(names).toEqual([`${first.cookieName} ${first.scope}`, `${second.cookieName} ${second.scope}`].sort());
    await context.close();
  });
});
