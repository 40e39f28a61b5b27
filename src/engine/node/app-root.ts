import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The application's root folder (package.json's). Found by walking up from this module,
 * which runs from src/engine/node (sources) or from a chunk of the bundle in out/node.
 */
export const APP_ROOT = findAppRoot(dirname(fileURLToPath(import.meta.url)));

function findAppRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${start}: the application's files are incomplete`);
  }
}
