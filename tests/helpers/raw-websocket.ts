import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/**
 * A WebSocket client that writes frames byte by byte, so a test can send what no
 * well-behaved library would: oversized lengths, invalid UTF-8, reserved bits, unmasked
 * frames (RFC 6455 §5.2). Also used to be a client that never reads.
 */
export interface RawWebSocket {
  socket: Socket;
  /** everything received after the handshake */
  received(): Buffer;
  /** resolves with the close code of the server's close frame, or null when the TCP connection ended without one */
  closed: Promise<number | null>;
}

export function openRawWebSocket(
  port: number,
  path: string,
  headers: Record<string, string>,
  options: { read?: boolean } = {},
): Promise<RawWebSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let buffer = Buffer.alloc(0);
    let upgraded = false;
    let resolveClosed: (code: number | null) => void = () => {};
    const closed = new Promise<number | null>((r) => (resolveClosed = r));
    socket.on('error', (error) => (upgraded ? resolveClosed(null) : reject(error)));
    socket.on('close', () => resolveClosed(closeCode(buffer)));
    socket.on('connect', () => {
      const lines = [
        `GET ${path} HTTP/1.1`,
        `Host: 127.0.0.1:${port}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
        'Sec-WebSocket-Version: 13',
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      ];
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (upgraded) return;
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffer.subarray(0, end).toString();
      buffer = buffer.subarray(end + 4);
      if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(`handshake refused: ${head.split('\r\n')[0]}`));
      upgraded = true;
      if (options.read === false) socket.pause();
      resolve({ socket, received: () => buffer, closed });
    });
  });
}

/** One client frame; `mask: false` breaks the rule that clients mask, `declaredLength` lies about the size. */
export function clientFrame(
  opcode: number,
  payload: Buffer,
  options: { fin?: boolean; rsv?: number; mask?: boolean; declaredLength?: number } = {},
): Buffer {
  const { fin = true, rsv = 0, mask = true } = options;
  const length = options.declaredLength ?? payload.length;
  const head = [(fin ? 0x80 : 0) | (rsv << 4) | opcode];
  let lengthBytes: Buffer;
  if (length < 126) lengthBytes = Buffer.alloc(0);
  else if (length < 65536) {
    lengthBytes = Buffer.alloc(2);
    lengthBytes.writeUInt16BE(length);
  } else {
    lengthBytes = Buffer.alloc(8);
    lengthBytes.writeBigUInt64BE(BigInt(length));
  }
  head.push((mask ? 0x80 : 0) | (length < 126 ? length : length < 65536 ? 126 : 127));
  if (!mask) return Buffer.concat([Buffer.from(head), lengthBytes, payload]);
  const key = randomBytes(4);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ key[i % 4]));
  return Buffer.concat([Buffer.from(head), lengthBytes, key, masked]);
}

export const TEXT = 0x1;
export const CLOSE = 0x8;

/** The code in the first close frame among the server's frames (servers never mask). */
function closeCode(bytes: Buffer): number | null {
  let at = 0;
  while (at + 2 <= bytes.length) {
    const opcode = bytes[at] & 0x0f;
    let length = bytes[at + 1] & 0x7f;
    let start = at + 2;
    if (length === 126) {
      length = bytes.readUInt16BE(start);
      start += 2;
    } else if (length === 127) {
      length = Number(bytes.readBigUInt64BE(start));
      start += 8;
    }
    if (opcode === CLOSE) return length >= 2 ? bytes.readUInt16BE(start) : 1005;
    at = start + length;
  }
  return null;
}
