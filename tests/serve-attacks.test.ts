import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { CLOSE, TEXT, clientFrame, openRawWebSocket } from './helpers/raw-websocket.ts';

const SERVE_PROCESS = join(import.meta.dirname, 'helpers', 'serve-process.ts');

/**
 * `ssmtl serve` against a client that holds the token and misbehaves. The server runs in
 * its own process, so a crash shows as an exit rather than as a test-runner error.
 */
describe('ssmtl serve survives hostile WebSocket frames', () => {
  let dir: string;
  let server: ChildProcess;
  let port: number;
  let token: string;
  let stderr = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ssmtl-attack-'));
    server = spawn(process.execPath, ['--import', 'tsx', SERVE_PROCESS, join(dir, 'workspace'), join(dir, 'web')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: server.stdout! }).once('line', resolve);
      server.once('exit', (code) => reject(new Error(`serve-process exited (${code}): ${stderr}`)));
    });
    const started = JSON.parse(first) as { url: string; token: string };
    port = Number(new URL(started.url).port);
    token = started.token;
  });

  afterAll(() => {
    if (server.exitCode === null) server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  const headers = () => ({ Cookie: `ssmtl_token=${token}`, Origin: `http://127.0.0.1:${port}` });

  /** A well-behaved client, as the page is. */
  async function openClient(): Promise<{ call(method: string): Promise<unknown>; socket: WebSocket }> {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/api/ws`, { headers: headers() });
    await new Promise((resolve, reject) => (socket.once('open', resolve), socket.once('error', reject)));
    let next = 1;
    const call = (method: string) =>
      new Promise<unknown>((resolve, reject) => {
        const id = next++;
        const onMessage = (data: Buffer) => {
          const message = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: string };
          if (message.id !== id) return;
          socket.off('message', onMessage);
          if (message.error) reject(new Error(message.error));
          else resolve(message.result);
        };
        socket.on('message', onMessage);
        socket.send(JSON.stringify({ id, method, params: [] }));
      });
    return { call, socket };
  }

  // Each bad frame, and the close code RFC 6455 §7.4.1 gives it.
  const attacks: [string, number, Buffer][] = [
    [
      'a frame over the size limit (declared 64 MiB, never sent)',
      1009,
      clientFrame(TEXT, Buffer.alloc(0), { declaredLength: 64 * 1024 * 1024 }),
    ],
    ['a text frame of invalid UTF-8', 1007, clientFrame(TEXT, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))],
    ['a text frame cut inside a UTF-8 sequence', 1007, clientFrame(TEXT, Buffer.from([0x22, 0xe2, 0x82]))],
    ['reserved bits set', 1002, clientFrame(TEXT, Buffer.from('{}'), { rsv: 0b111 })],
    ['an unmasked client frame', 1002, clientFrame(TEXT, Buffer.from('{}'), { mask: false })],
    ['an unknown opcode', 1002, clientFrame(0x3, Buffer.from('x'))],
    ['a fragmented close frame', 1002, clientFrame(CLOSE, Buffer.from([0x03, 0xe8]), { fin: false })],
    ['a close frame with an invalid code', 1002, clientFrame(CLOSE, Buffer.from([0x00, 0x01]))],
  ];

  it.each(attacks)('%s closes that connection only (code %i)', async (_name, code, frame) => {
    const bystander = await openClient();
    const attacker = await openRawWebSocket(port, headers());
    attacker.socket.write(frame);
    expect(await attacker.closed).toBe(code);
    // The server is alive, answers a new client, and the connection next door never noticed.
    expect(server.exitCode, stderr).toBeNull();
    expect(await (await openClient()).call('listSeries')).toEqual([]);
    expect(await bystander.call('listSeries')).toEqual([]);
    bystander.socket.close();
  });

  it('survives clients that reset the connection during a refused or accepted upgrade', async () => {
    const upgrade = (extra: string) =>
      `GET /api/ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${Buffer.alloc(16, 7).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;
    const withToken = `Cookie: ssmtl_token=${token}\r\nOrigin: http://127.0.0.1:${port}\r\n`;
    for (let i = 0; i < 20; i++) {
      // No token (refused with 403), or the token (accepted): either way, reset as soon as the answer starts.
      await new Promise<void>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => socket.write(upgrade(i % 2 ? withToken : '')));
        socket.once('data', () => (socket.resetAndDestroy(), resolve()));
        socket.once('error', () => resolve());
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(server.exitCode, stderr).toBeNull();
    expect(await (await openClient()).call('listSeries')).toEqual([]);
  });

  it('logs the protocol error rather than dying', () => {
    expect(stderr).toMatch(/WebSocket.*(invalid|too big|Max payload)/i);
    expect(stderr).not.toMatch(/Unhandled 'error' event/);
  });
});
