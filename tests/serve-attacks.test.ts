import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE, TEXT, clientFrame, openRawWebSocket } from './helpers/raw-websocket.ts';
import { openApiClient, startServeProcess, type ServeProcess } from './helpers/start-serve-process.ts';

/**
 * `ssmtl serve` against a client that holds the token and misbehaves. The server runs in
 * its own process, so a crash shows as an exit rather than as a test-runner error.
 */
describe('ssmtl serve survives hostile WebSocket frames', () => {
  let server: ServeProcess;

  beforeAll(async () => {
    server = await startServeProcess();
  });

  afterAll(() => server.stop());

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
    const bystander = await openApiClient(server);
    const attacker = await openRawWebSocket(server.port, `${server.scope}api/ws`, server.headers());
    attacker.socket.write(frame);
    expect(await attacker.closed).toBe(code);
    // The server is alive, answers a new client, and the connection next door never noticed.
    expect(server.process.exitCode, server.stderr()).toBeNull();
    expect(await (await openApiClient(server)).call('listSeries')).toEqual([]);
    expect(await bystander.call('listSeries')).toEqual([]);
    bystander.socket.close();
  });

  it('survives clients that reset the connection during a refused or accepted upgrade', async () => {
    const upgrade = (extra: string) =>
      `GET ${server.scope}api/ws HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${Buffer.alloc(16, 7).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;
    const withToken = Object.entries(server.headers())
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    for (let i = 0; i < 20; i++) {
      // No token (refused with 403), or the token (accepted): either way, reset as soon as the answer starts.
      await new Promise<void>((resolve) => {
        const socket = connect(server.port, '127.0.0.1', () => socket.write(upgrade(i % 2 ? withToken : '')));
        socket.once('data', () => (socket.resetAndDestroy(), resolve()));
        socket.once('error', () => resolve());
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(server.process.exitCode, server.stderr()).toBeNull();
    expect(await (await openApiClient(server)).call('listSeries')).toEqual([]);
  });

  it('logs the protocol error rather than dying', () => {
    expect(server.stderr()).toMatch(/WebSocket.*(invalid|too big|Max payload)/i);
    expect(server.stderr()).not.toMatch(/Unhandled 'error' event/);
  });
});
