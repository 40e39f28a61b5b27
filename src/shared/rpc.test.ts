import { describe, expect, it } from 'vitest';
import type { GpuTask } from './gpu-worker.ts';
import {
  base64ToBytes,
  bytesToBase64,
  decodeBytes,
  decodeMessage,
  encodeBytes,
  encodeMessage,
  type RpcPush,
  type RpcRequest,
  type RpcResponse,
} from './rpc.ts';

describe('the WebSocket transport carries masks as base64', () => {
  it('round-trips bytes of every length and value, as Node does', () => {
    for (const length of [0, 1, 2, 3, 4, 5, 255, 256, 1000]) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 37 + length) & 255);
      const text = bytesToBase64(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64'));
      expect(base64ToBytes(text)).toEqual(bytes);
    }
  });

  it('encodes Uint8Array anywhere in a message and only there', () => {
    const message = { id: 1, params: ['x', 3, new Uint8Array([1, 2, 3])], other: { $bytes: 1 } };
    const decoded = JSON.parse(JSON.stringify(message, encodeBytes), decodeBytes) as typeof message;
    expect(decoded.params[2]).toEqual(new Uint8Array([1, 2, 3]));
    expect(decoded.other).toEqual({ $bytes: 1 });
  });

  it('sends messages with and without bytes as the replacer and reviver would', () => {
    const list = { id: 2, result: [{ id: 'a', plane: { positions: [0, 1.5], origins: [[0, 0, 0], null] }, note: 'says "$bytes"' }] };
    const messages: (RpcRequest | RpcResponse | RpcPush)[] = [
      list,
      { id: 3, method: 'saveAnnotation', params: ['a', 4, new Uint8Array([1, 0, 2])] },
      { id: 4, result: new Uint8Array([9, 8]) },
      { event: { type: 'gpu-task', workerId: 'w', task: { type: 'start', payload: new Uint8Array([7]) } as unknown as GpuTask } },
      { event: { type: 'models-changed' } },
    ];
    for (const message of messages) {
      const text = encodeMessage(message);
      expect(text).toBe(JSON.stringify(message, encodeBytes));
      expect(decodeMessage(text)).toEqual(message);
    }
    // the key spelt with an escape is no bytes: it stays an object, which no bytes parameter accepts
    expect(decodeMessage('{"params":[{"\\u0024bytes":"AQID"}]}')).toEqual({ params: [{ $bytes: 'AQID' }] });
  });
});
