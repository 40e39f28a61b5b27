import type { StudioEvent, StudioMethod } from './api.ts';

/**
 * The WebSocket transport of the API contract (serve), as JSON text frames:
 *   client → server  { id, method, params }
 *   server → client  { preload } first, then { id, result } | { id, error } | { event }
 * (the page itself carries a { preload } as well: PAGE_PRELOAD_ELEMENT_ID).
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

/**
 * The calls every page makes first, answered unasked as a connection opens (the first
 * message of each): a reload then lists the workspace's series without waiting for its
 * request to go out and come back. Answers that failed are left out (asked for then).
 */
export const PRELOADED_METHODS = [
  'workspace',
  'listSeries',
  'listModels',
  'listLabels',
  'listJobs',
] as const satisfies readonly StudioMethod[];
export type PreloadedMethod = (typeof PRELOADED_METHODS)[number];
/**
 * serve also writes those answers into the page it serves, as JSON in a script element of
 * this id (never run: `type="application/json"`), so a reload lists the series before its
 * WebSocket is even open; the connection's first message then says what changed since.
 */
export const PAGE_PRELOAD_ELEMENT_ID = 'ssmtl-preload';
export type RpcPreload = { preload: Partial<Record<PreloadedMethod, unknown>> };
export type RpcServerMessage = RpcResponse | RpcPush | RpcPreload;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const CODES = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));
/** character code → 6-bit value (unknown characters read as 0) */
const VALUES = new Uint8Array(128);
CODES.forEach((code, i) => (VALUES[code] = i));
const PAD = 61; // '='

// Checkpoints travel in 16 MB parts, so both directions work on typed arrays, not strings
// built a character at a time (about 10× faster).
export function bytesToBase64(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  const whole = bytes.length - (bytes.length % 3);
  let o = 0;
  for (let i = 0; i < whole; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out[o] = CODES[n >> 18];
    out[o + 1] = CODES[(n >> 12) & 63];
    out[o + 2] = CODES[(n >> 6) & 63];
    out[o + 3] = CODES[n & 63];
    o += 4;
  }
  if (whole < bytes.length) {
    const two = whole + 1 < bytes.length;
    const n = (bytes[whole] << 16) | (two ? bytes[whole + 1] << 8 : 0);
    out[o] = CODES[n >> 18];
    out[o + 1] = CODES[(n >> 12) & 63];
    out[o + 2] = two ? CODES[(n >> 6) & 63] : PAD;
    out[o + 3] = PAD;
  }
  let text = '';
  // apply takes the typed array as it is (a spread would first copy it into an array).
  for (let i = 0; i < out.length; i += 0x8000) text += String.fromCharCode.apply(null, out.subarray(i, i + 0x8000) as unknown as number[]);
  return text;
}

export function base64ToBytes(text: string): Uint8Array {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === PAD) end--;
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  const value = (i: number) => (i < end ? VALUES[text.charCodeAt(i) & 127] : 0);
  let o = 0;
  for (let i = 0; i < end; i += 4) {
    const n = (value(i) << 18) | (value(i + 1) << 12) | (value(i + 2) << 6) | value(i + 3);
    if (o < out.length) out[o++] = (n >> 16) & 255;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

/**
 * A message as JSON text, and back. The replacer and the reviver run for every value of
 * a message (the series list: 50 series × 200 slice positions and origins), which made it
 * several times slower to send and to read, so they run only where bytes can be. The
 * contract (api.ts) carries bytes only as a whole parameter (a mask, an upload), a whole
 * result (a download) or inside a GPU task; a message without a `"$bytes"` key in its
 * text has nothing to revive (one that spells the key with escapes keeps it as an object,
 * which no bytes parameter accepts).
 */
export function encodeMessage(message: RpcRequest | RpcServerMessage): string {
  return JSON.stringify(message, carriesBytes(message) ? encodeBytes : undefined);
}

export function decodeMessage(text: string): unknown {
  return JSON.parse(text, text.includes('"$bytes"') ? decodeBytes : undefined);
}

function carriesBytes(message: RpcRequest | RpcServerMessage): boolean {
  if ('params' in message) return message.params.some((param) => param instanceof Uint8Array);
  if ('result' in message) return message.result instanceof Uint8Array;
  return 'event' in message && message.event.type === 'gpu-task';
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
