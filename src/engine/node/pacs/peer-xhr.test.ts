import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryFromAddress } from './pacs-entries.ts';
import { DicomwebPeer } from './dicomweb-peer.ts';
import { PacsError } from './pacs-error.ts';
import { PeerXhr, type PeerFailure } from './peer-xhr.ts';

/**
 * The HTTP transport under DICOMweb: it talks only to the configured base URL, follows no
 * redirect, gives up on silence, notices a response cut short, and names each failure.
 */
const hits: string[] = [];
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((request, response) => {
    hits.push(request.url ?? '');
    if (request.url?.startsWith('/dicom-web/redirect')) {
      response.writeHead(302, { Location: 'http://elsewhere.invalid/steal' }).end();
    } else if (request.url?.startsWith('/dicom-web/silent')) {
      // never answers
    } else if (request.url?.startsWith('/dicom-web/cut')) {
      response.writeHead(200, { 'Content-Length': '1000', 'Content-Type': 'application/octet-stream' });
      response.write(Buffer.alloc(10), () => response.destroy());
    } else if (request.url?.startsWith('/dicom-web/studies')) {
      response
        .writeHead(request.headers.authorization === 'Bearer right' ? 200 : 401, { 'Content-Type': 'application/dicom+json' })
        .end('[]');
    } else response.writeHead(200, { 'Content-Type': 'text/plain' }).end('fine');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dicom-web`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function request(path: string, timeoutMs = 2000): Promise<{ status: number; failure: PeerFailure | null; response: unknown }> {
  const xhr = new PeerXhr({ base: new URL(base), timeoutMs, ca: null });
  return new Promise((resolve) => {
    xhr.onreadystatechange = () => {
      if (xhr.readyState === 4) resolve({ status: xhr.status, failure: xhr.failure, response: xhr.response });
    };
    xhr.open('get', path);
    xhr.send();
  });
}

describe('PeerXhr', () => {
  it('answers a request under the base URL', async () => {
    expect(await request(`${base}/studies/1`)).toMatchObject({ status: 401, failure: null });
    expect(await request(`${base}/other`)).toMatchObject({ status: 200, response: 'fine' });
  });

  it('sends nothing outside the base URL: another path, host or port', async () => {
    const before = hits.length;
    const origin = new URL(base).origin;
    for (const url of [`${origin}/admin`, `${origin}/dicom-webx/studies`, 'http://127.0.0.2:80/dicom-web/studies']) {
      expect((await request(url)).failure).toEqual({ kind: 'refused-address', url: expect.any(String) });
    }
    expect(hits.length).toBe(before);
  });

  it('follows no redirect', async () => {
    expect((await request(`${base}/redirect`)).failure).toEqual({ kind: 'redirect', location: 'http://elsewhere.invalid/steal' });
  });

  it('gives up on a silent server and notices a response cut short', async () => {
    expect((await request(`${base}/silent`, 300)).failure).toEqual({ kind: 'timeout' });
    expect((await request(`${base}/cut`)).failure).toMatchObject({ kind: 'truncated', expected: 1000 });
  });
});

describe('DicomwebPeer errors', () => {
  it('says a login was refused, without retrying it', async () => {
    const entry = entryFromAddress('t', base, { auth: { kind: 'bearer', tokenEnv: 'T' }, retries: 3 });
    const before = hits.length;
    const refused = new DicomwebPeer({ entry, secret: 'wrong' }).echo();
    await expect(refused).rejects.toThrow(/refused the login \(HTTP 401\)/);
    expect(hits.length - before).toBe(1);
    await expect(new DicomwebPeer({ entry, secret: 'right' }).echo()).resolves.toBeUndefined();
  });

  it('says how long it waited, and never puts the secret in a message', async () => {
    const entry = entryFromAddress('t', `${base}/silent`, {
      auth: { kind: 'basic', user: 'u', passwordEnv: 'P' },
      timeoutSeconds: 1,
      retries: 0,
    });
    const error = await new DicomwebPeer({ entry, secret: 'hunter2' }).echo().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PacsError);
    expect((error as Error).message).toMatch(/did not answer for 1 s while answering a search/);
    expect((error as Error).message).not.toContain('hunter2');
  });
});
