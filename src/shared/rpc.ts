import type { StudioEvent } from './api.ts';

/**
 * The WebSocket transport of the API contract (serve), as JSON text frames:
 *   client → server  { id, method, params }
 *   server → client  { id, result } | { id, error } | { event }
 * Uint8Array values (a mask being saved) travel as { $bytes: base64 }; nothing else in
 * the contract is binary, because pixel data goes by URL.
 */
export interface RpcRequest {
  id: number;
  method: string;
  params: unknown[];
}

export type RpcResponse = { id: number; result: unknown } | { id: number; error: string };
export type RpcPush = { event: StudioEvent };

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = new Map<string, number>([...ALPHABET].map((c, i) => [c, i]));

export function bytesToBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += ALPHABET[(n >> 18) & 63] + ALPHABET[(n >> 12) & 63];
    out += i + 1 < bytes.length ? ALPHABET[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.length ? ALPHABET[n & 63] : '=';
  }
  return out;
}

export function base64ToBytes(text: string): Uint8Array {
  const clean = text.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let o = 0;
  for (let i = 0; i < clean.length; i += 4) {
    const a = LOOKUP.get(clean[i]) ?? 0;
    const b = LOOKUP.get(clean[i + 1]) ?? 0;
    const c = LOOKUP.get(clean[i + 2]) ?? 0;
    const d = LOOKUP.get(clean[i + 3]) ?? 0;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    if (o < out.length) out[o++] = (n >> 16) & 255;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

/** JSON.stringify replacer/reviver pair that carries Uint8Array as base64. */
export function encodeBytes(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? { $bytes: bytesToBase64(value) } : value;
}

export function decodeBytes(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object);
    if (keys.length === 1 && keys[0] === '$bytes' && typeof object.$bytes === 'string') return base64ToBytes(object.$bytes);
  }
  return value;
}
