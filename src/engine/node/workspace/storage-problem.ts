import { accessSync, constants, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { InputError } from '../../../shared/errors.ts';

/**
 * Why a folder cannot be written: a read-only file system, no permission, a full disk.
 * These are the user's to mend (remount, chmod, free space), so they end a command with
 * exit 2 and a line naming the folder and the cause, never as an "internal error".
 */
export type StorageCode = 'EROFS' | 'EACCES' | 'ENOSPC';

export interface StorageProblem {
  code: StorageCode;
  /** what a person reads, with the code: "the file system is read-only (EROFS)" */
  cause: string;
}

/** A folder with less free space than this counts as full: SQLite alone needs 32 KiB for its shared-memory file. */
export const MIN_FREE_BYTES = 1024 * 1024;

const CAUSES: Record<StorageCode, string> = {
  EROFS: 'the file system is read-only (EROFS)',
  EACCES: 'no permission to write there (EACCES)',
  ENOSPC: 'the disk is full (ENOSPC)',
};
const REMEDIES: Record<StorageCode, string> = {
  EROFS: 'reading commands (info, evaluate, predict, serve) still work; mount it read-write to change it',
  EACCES: 'reading commands (info, evaluate, predict, serve) still work; give this user write permission to change it',
  ENOSPC: 'free some space on that disk and run it again; what was saved before is kept',
};

function problem(code: StorageCode): StorageProblem {
  return { code, cause: CAUSES[code] };
}

/** Whether `dir` can take writes now (without writing anything): permission, read-only mount, free space. */
export function writeProblem(dir: string): StorageProblem | null {
  try {
    accessSync(dir, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EROFS') return problem('EROFS');
    if (code === 'EACCES' || code === 'EPERM') return problem('EACCES');
    return null;
  }
  try {
    const fs = statfsSync(dir);
    // root may use the blocks reserved for it; others only what is available to them
    const blocks = process.getuid?.() === 0 ? fs.bfree : fs.bavail;
    if (blocks * fs.bsize < MIN_FREE_BYTES) return problem('ENOSPC');
  } catch {
    // statfs unsupported: the writes themselves will say
  }
  return null;
}

/** The workspace (or a file in it) cannot be written; exit 2 with the folder and the cause. */
export class WorkspaceStorageError extends InputError {
  constructor(
    readonly folder: string,
    readonly problem: StorageProblem,
  ) {
    super(`cannot write to ${folder}: ${problem.cause}; ${REMEDIES[problem.code]}`);
  }
}

/**
 * The storage problem behind `error`, if that is what it is, as an error naming the
 * folder. A full disk is one whatever was written. A refused or read-only file system
 * error (which reading a file can raise too) and SQLite's read-only, unable-to-open and
 * I/O errors count only when the folder concerned (the error's path's folder, else
 * `folder`) indeed cannot be written now. Follows `cause` chains; anything else: null.
 */
export function storageErrorOf(error: unknown, folder: string): WorkspaceStorageError | null {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof WorkspaceStorageError) return e;
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code !== 'string') continue;
    const path = (e as NodeJS.ErrnoException).path;
    const concerned = path ? dirname(path) : folder;
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') return new WorkspaceStorageError(concerned, problem('ENOSPC'));
    if (code === 'SQLITE_FULL') return new WorkspaceStorageError(folder, problem('ENOSPC'));
    if (
      code === 'EROFS' ||
      code === 'EACCES' ||
      code.startsWith('SQLITE_READONLY') ||
      code.startsWith('SQLITE_CANTOPEN') ||
      code.startsWith('SQLITE_IOERR')
    ) {
      const found = writeProblem(concerned);
      if (found) return new WorkspaceStorageError(concerned, found);
    }
  }
  return null;
}
