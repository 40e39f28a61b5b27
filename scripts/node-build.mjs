// The compiled command line: where it is, and whether it was built from the sources as
// they are now. Plain JavaScript, because bin/ssmtl.mjs asks before any TypeScript loads.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..');
export const nodeBuildDir = (root = ROOT) => join(root, 'out', 'node');

/** What the Node bundle is made of: everything under src but the interface, the Electron shell and tests. */
const SOURCE_DIRS = ['cli', 'engine', 'formats', 'sample', 'shared', 'types'];
const EXTRA_FILES = ['package-lock.json', 'scripts/build-node.mjs'];

export function sourceFiles(root = ROOT) {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (!entry.name.endsWith('.test.ts')) files.push(path);
    }
  };
  for (const dir of SOURCE_DIRS) if (existsSync(join(root, 'src', dir))) walk(join(root, 'src', dir));
  for (const file of EXTRA_FILES) if (existsSync(join(root, file))) files.push(join(root, file));
  return files.sort();
}

/**
 * Two fingerprints of the sources: `stamp` from names, sizes and modification times (a
 * few milliseconds: asked at every start), `content` from the bytes (asked only when the
 * stamp differs, e.g. after a checkout that rewrote files without changing them).
 */
export function sourceStamp(root = ROOT, files = sourceFiles(root)) {
  const hash = createHash('sha256');
  for (const file of files) {
    const stat = statSync(file);
    hash.update(`${file.slice(root.length)}\0${stat.size}\0${stat.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

export function sourceContentHash(root = ROOT, files = sourceFiles(root)) {
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file.slice(root.length)}\0`).update(readFileSync(file));
  return hash.digest('hex');
}

/** 'current', 'stale' (built from other sources) or 'missing'. Without sources (an installed app) a build is current. */
export function nodeBuildState(root = ROOT) {
  const info = join(nodeBuildDir(root), 'build-info.json');
  if (!existsSync(info)) return 'missing';
  const built = JSON.parse(readFileSync(info, 'utf8'));
  if (!existsSync(join(root, 'src'))) return 'current';
  const files = sourceFiles(root);
  if (sourceStamp(root, files) === built.stamp) return 'current';
  return sourceContentHash(root, files) === built.content ? 'current' : 'stale';
}
