import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { writeFileAtomically, type WriteChunk } from './atomic-file.ts';
import { CHECKPOINT_MAGIC, decodeCheckpoint, encodeCheckpoint, type CheckpointHeader } from '../train/checkpoint-codec.ts';
import type { TensorRecord } from '../train/ssmtl-trainer.ts';

/**
 * Checkpoints as files: the byte layout of train/checkpoint-codec.ts, written atomically
 * (atomic-file.ts). A kill or a full disk at any moment leaves either the old file or the
 * new one, never a torn one; the codec's trailing marker and header byte count catch a
 * file truncated by anything else.
 */
export type { CheckpointHeader };

export function writeCheckpointFile(path: string, meta: Record<string, unknown>, tensors: TensorRecord[], write?: WriteChunk): void {
  writeFileAtomically(path, encodeCheckpoint(meta, tensors), write);
}

export function readCheckpointFile(path: string): { header: CheckpointHeader; tensors: TensorRecord[] } {
  return decodeCheckpoint(readFileSync(path), path);
}

/** Only the header (what a run stood at), without reading the tensors: a checkpoint may be hundreds of MB. */
export function readCheckpointHeader(path: string): CheckpointHeader {
  const fd = openSync(path, 'r');
  try {
    const prefix = Buffer.alloc(CHECKPOINT_MAGIC.length + 4);
    if (
      readSync(fd, prefix, 0, prefix.length, 0) !== prefix.length ||
      prefix.toString('ascii', 0, CHECKPOINT_MAGIC.length) !== CHECKPOINT_MAGIC
    ) {
      throw new Error(`${path} is not a valid checkpoint: wrong magic`);
    }
    const header = Buffer.alloc(prefix.readUInt32LE(CHECKPOINT_MAGIC.length));
    if (readSync(fd, header, 0, header.length, prefix.length) !== header.length)
      throw new Error(`${path} is not a valid checkpoint: truncated header`);
    return JSON.parse(header.toString('utf8')) as CheckpointHeader;
  } finally {
    closeSync(fd);
  }
}
