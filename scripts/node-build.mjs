// The compiled command line: where it is, and whether it was built from the sources as
// they are now. Plain JavaScript, because bin/ssmtl.mjs asks before any TypeScript loads.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

// node:crypto takes ~10 ms to load: only the content hash, asked after a stamp differs, needs it.
const require = createRequire(import.meta.url);

export const ROOT = join(import.meta.dirname, '..');
export const nodeBuildDir = (root = ROOT) => join(root, 'out', 'node');

/** What the Node bundle is made of: everything under src but the interface, the Electron shell and tests. */
const SOURCE_DIRS = ['cli', 'engine', 'formats', 'sample', 'shared', 'types'];
const EXTRA_FILES = ['package-lock.json', 'scripts/build-node.mjs'];

/** The files the bundle is made of, and every folder they sit in (a file added or removed changes its folder's time). */
export function sourceTree(root = ROOT) {
  const files = [];
  const dirs = [join(root, 'src')];
  const walk = (dir) => {
    dirs.push(dir);
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (!entry.name.endsWith('.test.ts')) files.push(path);
    }
  };
  for (const dir of SOURCE_DIRS) if (existsSync(join(root, 'src', dir))) walk(join(root, 'src', dir));
  for (const file of EXTRA_FILES) if (existsSync(join(root, file))) files.push(join(root, file));
  return { files: files.sort(), dirs: dirs.sort() };
}

/**
 * Two fingerprints of the sources: `stamp` from names, sizes and modification times of the
 * files and their folders (a few milliseconds: asked at every start, over the listing the
 * build kept, so nothing is walked), `content` from the bytes (asked only when the stamp
 * differs, e.g. after a checkout that rewrote files without changing them).
 */
export function sourceStamp(root = ROOT, tree = sourceTree(root)) {
  // FNV-1a and a variant of it (32 bits each) over the listing: a quick check, not a secure one
  // (a false match would need two listings that collide in 64 bits).
  let a = 0x811c9dc5;
  let b = 0x01000193;
  const add = (line) => {
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x811c9dc5) ^ (b >>> 15);
    }
  };
  for (const dir of tree.dirs) add(`${dir.slice(root.length)}/\0${statSync(dir).mtimeMs}\n`);
  for (const file of tree.files) {
    const stat = statSync(file);
    add(`${file.slice(root.length)}\0${stat.size}\0${stat.mtimeMs}\n`);
  }
  for (const file of EXTRA_FILES) add(`${file}\0${existsSync(join(root, file))}\n`);
  return `${(a >>> 0).toString(16).padStart(8, '0')}${(b >>> 0).toString(16).padStart(8, '0')}`;
}

export function sourceContentHash(root = ROOT, files = sourceTree(root).files) {
  const hash = require('node:crypto').createHash('sha256');
  for (const file of files) hash.update(`${file.slice(root.length)}\0`).update(readFileSync(file));
  return hash.digest('hex');
}

/** What out/node/build-info.json records of the sources a build is made from. */
export function sourceFingerprint(root = ROOT) {
  const tree = sourceTree(root);
  const relative = (paths) => paths.map((path) => path.slice(root.length + 1));
  return {
    stamp: sourceStamp(root, tree),
    content: sourceContentHash(root, tree.files),
    tree: { files: relative(tree.files), dirs: relative(tree.dirs) },
  };
}

/** 'current', 'stale' (built from other sources) or 'missing'. Without sources (an installed app) a build is current. */
export function nodeBuildState(root = ROOT) {
  const info = join(nodeBuildDir(root), 'build-info.json');
  if (!existsSync(info)) return 'missing';
  const built = JSON.parse(readFileSync(info, 'utf8'));
  if (!existsSync(join(root, 'src'))) return 'current';
  if (built.tree) {
    const kept = { files: built.tree.files.map((f) => join(root, f)), dirs: built.tree.dirs.map((d) => join(root, d)) };
    try {
      if (sourceStamp(root, kept) === built.stamp) return 'current';
    } catch {
      // a file or folder of the build has gone: the listing below says what is there now
    }
  }
  const tree = sourceTree(root);
  if (sourceStamp(root, tree) === built.stamp) return 'current';
  return sourceContentHash(root, tree.files) === built.content ? 'current' : 'stale';
}
