import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64, decodeBytes, encodeBytes } from './rpc.ts';

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
});
