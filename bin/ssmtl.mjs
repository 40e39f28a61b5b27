#!/usr/bin/env node
// The `ssmtl` command. It runs the compiled command line in out/node (built by `npm install`
// or `npm run build:node`) when that was built from the sources as they are; otherwise the
// TypeScript sources through tsx, so an edited source is never run stale.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { nodeBuildDir, nodeBuildState } from '../scripts/node-build.mjs';

const state = process.env.SSMTL_FROM_SOURCES ? 'skipped' : nodeBuildState();
const argv = process.argv.slice(2);
if (state === 'current' && (argv.length === 0 || ['help', '--help', '-h'].includes(argv[0]))) {
  // The text the build made from these commands (loading them all takes about a second).
  process.stdout.write(readFileSync(join(nodeBuildDir(), 'help.txt'), 'utf8'));
  process.exit(argv.length === 0 ? 2 : 0);
}
let main;
if (state === 'current') ({ main } = await import(pathToFileURL(join(nodeBuildDir(), 'main.mjs')).href));
else {
  if (state === 'stale' && process.stderr.isTTY)
    process.stderr.write('note: the sources changed since the last build; running them through tsx (npm run build:node rebuilds)\n');
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(argv);
