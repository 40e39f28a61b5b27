import type { TensorRecord } from './ssmtl-trainer.ts';

/**
 * The byte layout of a checkpoint: tensors plus a JSON header. The Node side writes it to
 * files (engine/node/checkpoint-file.ts); a browser GPU worker sends the same bytes to
 * the engine host, so both ends share one format and one set of checks.
 *
 * Layout: "SSMTLCK1" | u32 header length (LE) | header JSON (utf-8) | float32 data (LE) … | "END!"
 */
export const CHECKPOINT_MAGIC = 'SSMTLCK1';
const END = 'END!';

export interface CheckpointHeader {
  tensors: { name: string; shape: number[]; offset: number; length: number }[];
  [key: string]: unknown;
}

/** The checkpoint as chunks in order (no copy of the tensor data). */
export function encodeCheckpoint(meta: Record<string, unknown>, tensors: TensorRecord[]): Uint8Array[] {
  let offset = 0;
  const index = tensors.map((t) => {
    const entry = { name: t.name, shape: t.shape, offset, length: t.data.length };
    offset += t.data.length;
    return entry;
  });
  const header = new TextEncoder().encode(JSON.stringify({ ...meta, tensors: index }));
  const prefix = new Uint8Array(CHECKPOINT_MAGIC.length + 4);
  prefix.set(ascii(CHECKPOINT_MAGIC));
  new DataView(prefix.buffer).setUint32(CHECKPOINT_MAGIC.length, header.length, true);
  const data = tensors.map((t) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  return [prefix, header, ...data, ascii(END)];
}

/** One buffer holding the whole checkpoint. */
export function concatChunks(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/** Reads a checkpoint's bytes; `source` names it in errors (a file path, "the GPU worker's upload"). */
export function decodeCheckpoint(bytes: Uint8Array, source: string): { header: CheckpointHeader; tensors: TensorRecord[] } {
  const fail = (why: string) => new Error(`${source} is not a valid checkpoint: ${why}`);
  const text = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes.length < CHECKPOINT_MAGIC.length + 4 + END.length || text(0, CHECKPOINT_MAGIC.length) !== CHECKPOINT_MAGIC)
    throw fail('wrong magic');
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(CHECKPOINT_MAGIC.length, true);
  const dataStart = CHECKPOINT_MAGIC.length + 4 + headerLength;
  if (dataStart > bytes.length) throw fail('truncated header');
  let header: CheckpointHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(CHECKPOINT_MAGIC.length + 4, dataStart))) as CheckpointHeader;
  } catch {
    throw fail('unreadable header');
  }
  if (!Array.isArray(header.tensors)) throw fail('no tensor index');
  let floats = 0;
  for (const t of header.tensors) {
    const count = Array.isArray(t.shape) ? t.shape.reduce((n, d) => n * d, 1) : NaN;
    if (typeof t.name !== 'string' || t.offset !== floats || t.length !== count) throw fail(`bad index entry for ${String(t.name)}`);
    floats += t.length;
  }
  if (bytes.length !== dataStart + floats * 4 + END.length || text(bytes.length - END.length, bytes.length) !== END)
    throw fail('truncated data');
  // Copy into an aligned buffer (the data start need not be 4-byte aligned).
  const data = new Float32Array(floats);
  new Uint8Array(data.buffer).set(bytes.subarray(dataStart, dataStart + floats * 4));
  const tensors = header.tensors.map((t) => ({ name: t.name, shape: t.shape, data: data.subarray(t.offset, t.offset + t.length) }));
  return { header, tensors };
}

function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}
