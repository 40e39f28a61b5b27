import { readFileSync } from 'node:fs';
import { writeFileAtomically, type WriteChunk } from './atomic-file.ts';
import { decodeCheckpoint, encodeCheckpoint, type CheckpointHeader } from '../train/checkpoint-codec.ts';
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
