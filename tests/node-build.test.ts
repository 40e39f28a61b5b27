import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript shared with bin/ssmtl.mjs (no declarations)
import { nodeBuildState, sourceFingerprint } from '../scripts/node-build.mjs';

/**
 * The command line runs compiled (out/node, built by `npm install` and before the tests)
 * only while it matches the sources; an edited source runs through tsx instead of stale.
 */
const bin = join(import.meta.dirname, '..', 'bin', 'ssmtl.mjs');

function fakeBuild(root: string) {
  mkdirSync(join(root, 'out', 'node'), { recursive: true });
  writeFileSync(join(root, 'out', 'node', 'build-info.json'), JSON.stringify(sourceFingerprint(root)));
}

describe('the compiled command line', () => {
  it('is current while the sources are as built, still current when only their times change, stale once one is edited', () => {
    const root = mkdtempSync(join(tmpdir(), 'ssmtl-build-'));
    mkdirSync(join(root, 'src', 'engine'), { recursive: true });
    const source = join(root, 'src', 'engine', 'a.ts');
    writeFileSync(source, 'export const a = 1;\n');
    writeFileSync(join(root, 'src', 'engine', 'a.test.ts'), 'tests are not part of the build\n');
    expect(nodeBuildState(root)).toBe('missing');
    fakeBuild(root);
    expect(nodeBuildState(root)).toBe('current');
    writeFileSync(join(root, 'src', 'engine', 'a.test.ts'), 'an edited test changes nothing\n');
    expect(nodeBuildState(root)).toBe('current');
    utimesSync(source, new Date(), new Date(Date.now() + 5000));
    expect(nodeBuildState(root)).toBe('current');
    writeFileSync(source, 'export const a = 2;\n');
    expect(nodeBuildState(root)).toBe('stale');
    fakeBuild(root);
    expect(nodeBuildState(root)).toBe('current');
    // A file added, in a folder of the build or in a new one, is a change too; a new test is not.
    writeFileSync(join(root, 'src', 'engine', 'b.ts'), 'export const b = 1;\n');
    expect(nodeBuildState(root)).toBe('stale');
    fakeBuild(root);
    mkdirSync(join(root, 'src', 'engine', 'deeper'));
    writeFileSync(join(root, 'src', 'engine', 'deeper', 'c.test.ts'), 'a test\n');
    expect(nodeBuildState(root)).toBe('current');
    writeFileSync(join(root, 'src', 'engine', 'deeper', 'c.ts'), 'export const c = 1;\n');
    expect(nodeBuildState(root)).toBe('stale');
    fakeBuild(root);
    rmSync(source);
    expect(nodeBuildState(root)).toBe('stale');
  });

  it('is built (npm test builds it first) and prints the same help as the sources, with the same exit codes', () => {
    expect(nodeBuildState()).toBe('current');
    const built = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    const sources = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8', env: { ...process.env, SSMTL_FROM_SOURCES: '1' } });
    expect(built.status).toBe(0);
    expect(built.stdout).toMatch(/^Usage: ssmtl <command>/);
    expect(built.stdout).toContain('experiment CONFIG.json');
    expect(built.stdout).toBe(sources.stdout);
    expect(spawnSync(process.execPath, [bin], { encoding: 'utf8' }).status).toBe(2);
    expect(readFileSync(join(import.meta.dirname, '..', 'out', 'node', 'help.txt'), 'utf8')).toBe(built.stdout);
  });
});
