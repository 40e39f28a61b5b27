import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** The write primitive, replaceable in tests to simulate a disk that fills up halfway. */
export type WriteChunk = (fd: number, data: Uint8Array) => void;

const writeWhole: WriteChunk = (fd, data) => {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, data.length - done);
};

/**
 * Writes chunks as one file so that a kill or a full disk at any moment leaves either the
 * old file (or none) or the whole new one: a temp file in the same folder, fsync, rename,
 * fsync the folder. The one atomic write of the workspace (checkpoints, label maps,
 * predictions, exports).
 */
export function writeFileAtomically(path: string, chunks: Uint8Array | Uint8Array[], write: WriteChunk = writeWhole): void {
  const temp = `${path}.tmp-${process.pid}`;
  const fd = openSync(temp, 'w');
  try {
    for (const chunk of Array.isArray(chunks) ? chunks : [chunks]) write(fd, chunk);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(temp, path);
  try {
    const dir = openSync(dirname(path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch {
    // Folders cannot be fsynced everywhere (Windows); the rename is atomic regardless.
  }
}
