import { existsSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `serve` hosts the same renderer Electron loads, built by Vite into out/web. It is
 * built on demand: when missing, or when any source of the interface is newer than the
 * last build, so a fresh clone works after `npm install` and an edited renderer is
 * never served stale. The build goes to a temporary folder and is renamed into place,
 * so a second `serve` never sees half a build.
 */
const STAMP = '.built';

export function webBuildDir(root: string): string {
  return join(root, 'out', 'web');
}

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

export function rendererBuildIsCurrent(root: string): boolean {
  const stamp = join(webBuildDir(root), STAMP);
  if (!existsSync(stamp)) return false;
  // src/engine: the page's GPU worker bundles the isomorphic engine.
  const sources = ['src/renderer', 'src/shared', 'src/engine', 'src/cli/serve/web-build-config.ts', 'package-lock.json']
    .map((p) => join(root, p))
    .filter((p) => existsSync(p));
  return Math.max(...sources.map(newestMtime)) <= statSync(stamp).mtimeMs;
}

export async function ensureRendererBuilt(root: string, log: (line: string) => void): Promise<string> {
  const out = webBuildDir(root);
  if (rendererBuildIsCurrent(root)) return out;
  log('building the interface (once after install or an update; about a minute)…');
  const temp = `${out}-building-${process.pid}`;
  rmSync(temp, { recursive: true, force: true });
  const { build } = await import('vite');
  const { webBuildConfig } = await import('./web-build-config.ts');
  await build(await webBuildConfig(root, temp));
  writeFileSync(join(temp, STAMP), new Date().toISOString());
  rmSync(out, { recursive: true, force: true });
  renameSync(temp, out);
  return out;
}
