import { readFileSync, statSync } from 'node:fs';
import { extname, join, sep } from 'node:path';
import { confinedRelativePath } from '../../shared/confined-path.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/**
 * A file of the built interface, or null: only paths confined to the build folder
 * (shared/confined-path.ts) ever reach the disk.
 */
export function readStaticFile(root: string, urlPath: string): { body: Buffer; type: string } | null {
  const relative = confinedRelativePath(urlPath);
  if (relative === null) return null;
  const full = join(root, relative);
  if (!full.startsWith(root + sep)) return null;
  try {
    if (!statSync(full).isFile()) return null;
    return { body: readFileSync(full), type: TYPES[extname(full)] ?? 'application/octet-stream' };
  } catch {
    return null;
  }
}
