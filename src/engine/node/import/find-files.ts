import { lstatSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../../../shared/errors.ts';
import type { SkippedFile } from '../../../shared/series.ts';

/**
 * Every file under the given paths, depth first in name order (so scans are
 * reproducible). Folders that cannot be listed are reported, not fatal; a path that
 * does not exist is a usage error. Symbolic links to folders are not followed (loops).
 */
export function findFiles(paths: string[]): { files: string[]; skipped: SkippedFile[] } {
  const files: string[] = [];
  const skipped: SkippedFile[] = [];
  const visit = (path: string) => {
    let entries: string[];
    try {
      entries = readdirSync(path).sort();
    } catch (error) {
      skipped.push({ path, reason: `folder cannot be read (${(error as NodeJS.ErrnoException).code ?? error})` });
      return;
    }
    for (const name of entries) {
      const child = join(path, name);
      let stats;
      try {
        stats = lstatSync(child);
        if (stats.isSymbolicLink()) {
          stats = statSync(child);
          if (stats.isDirectory()) {
            skipped.push({ path: child, reason: 'symbolic link to a folder (not followed)' });
            continue;
          }
        }
      } catch (error) {
        skipped.push({ path: child, reason: `cannot be read (${(error as NodeJS.ErrnoException).code ?? error})` });
        continue;
      }
      if (stats.isDirectory()) visit(child);
      else if (stats.isFile()) files.push(child);
    }
  };
  for (const given of paths) {
    const path = resolve(given);
    let stats;
    try {
      stats = statSync(path);
    } catch {
      throw new InputError(`${given}: no such file or folder`);
    }
    if (stats.isDirectory()) visit(path);
    else files.push(path);
  }
  return { files: [...new Set(files)], skipped };
}
