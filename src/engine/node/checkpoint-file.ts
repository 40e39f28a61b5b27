import { readFileSync } from 'node:fs';
import { writeFileAtomically, type WriteChunk } from './atomic-file.ts';
import type { TensorRecord } from '../train/ssmtl-trainer.ts';

/**
 * Tensors plus a JSON header in one file, written atomically (atomic-file.ts). A kill or a full disk at any
 * moment leaves either the old file or the new one, never a torn one; a trailing marker
 * and the header's byte count catch a file truncated by anything else.
 *
 * Layout: "SSMTLCK1" | u32 header length | header JSON (utf-8) | float32 data … | "END!"
 */
const MAGIC = 'SSMTLCK1';
const END = 'END!';

export interface CheckpointHeader {
  tensors: { name: string; shape: number[]; offset: number; length: number }[];
  [key: string]: unknown;
}

export function writeCheckpointFile(path: string, meta: Record<string, unknown>, tensors: TensorRecord[], write?: WriteChunk): void {
  let offset = 0;
  const index = tensors.map((t) => {
    const entry = { name: t.name, shape: t.shape, offset, length: t.data.length };
    offset += t.data.length;
    return entry;
  });
  const header = Buffer.from(JSON.stringify({ ...meta, tensors: index }), 'utf8');
  const prefix = Buffer.alloc(MAGIC.length + 4);
  prefix.write(MAGIC, 0, 'ascii');
  prefix.writeUInt32LE(header.length, MAGIC.length);
  const data = tensors.map((t) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  writeFileAtomically(path, [prefix, header, ...data, Buffer.from(END, 'ascii')], write);
}

export function readCheckpointFile(path: string): { header: CheckpointHeader; tensors: TensorRecord[] } {
  const bytes = readFileSync(path);
  const fail = (why: string) => new Error(`${path} is not a valid checkpoint: ${why}`);
  if (bytes.length < MAGIC.length + 4 + END.length || bytes.toString('ascii', 0, MAGIC.length) !== MAGIC) throw fail('wrong magic');
  const headerLength = bytes.readUInt32LE(MAGIC.length);
  const dataStart = MAGIC.length + 4 + headerLength;
  if (dataStart > bytes.length) throw fail('truncated header');
  let header: CheckpointHeader;
  try {
    header = JSON.parse(bytes.toString('utf8', MAGIC.length + 4, dataStart)) as CheckpointHeader;
  } catch {
    throw fail('unreadable header');
  }
  const floats = header.tensors.reduce((n, t) => n + t.length, 0);
  if (bytes.length !== dataStart + floats * 4 + END.length || bytes.toString('ascii', bytes.length - END.length) !== END) throw fail('truncated data');
  // Copy into an aligned buffer (the data start need not be 4-byte aligned).
  const data = new Float32Array(floats);
  new Uint8Array(data.buffer).set(bytes.subarray(dataStart, dataStart + floats * 4));
  const tensors = header.tensors.map((t) => ({ name: t.name, shape: t.shape, data: data.subarray(t.offset, t.offset + t.length) }));
  return { header, tensors };
}

