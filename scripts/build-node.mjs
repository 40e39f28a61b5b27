#!/usr/bin/env node
// `npm run build:node` (and the last step of `npm install`): compiles the command line,
// the engine's job processes and its worker threads into out/node with esbuild, so they
// start as plain JavaScript instead of transpiling the TypeScript at every start. npm
// packages stay outside the bundle (native modules and .wasm files load from
// node_modules as before). build-info.json records the sources it was built from;
// bin/ssmtl.mjs runs from the sources (through tsx) when they have changed since.
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { nodeBuildDir, ROOT, sourceFingerprint } from './node-build.mjs';

const started = performance.now();
const engine = (path) => join(ROOT, 'src', 'engine', 'node', path);
// Output names are the files' base names: process-entry.ts knows them (built entries).
const entryPoints = [
  join(ROOT, 'src', 'cli', 'main.ts'),
  engine('jobs/pretrain-child.ts'),
  engine('jobs/import-child.ts'),
  engine('jobs/pacs-get-child.ts'),
  engine('jobs/finetune-child.ts'),
  engine('jobs/predict-child.ts'),
  engine('jobs/step-timing-child.ts'),
  engine('studio/host-process.ts'),
  engine('parallel/gradient-worker.ts'),
];

// Fingerprints first: a source edited during the build makes the build stale, not current.
const fingerprint = sourceFingerprint();
const NODE_BUILD_DIR = nodeBuildDir();
const temp = `${NODE_BUILD_DIR}-building-${process.pid}`;
rmSync(temp, { recursive: true, force: true });
try {
  await build({
    entryPoints,
    outdir: temp,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    outExtension: { '.js': '.mjs' },
    entryNames: '[name]',
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: 'linked',
    define: { __SSMTL_BUNDLED__: 'true' },
    logLevel: 'warning',
  });
  // `ssmtl help` loads every command (TensorFlow.js, codecs, the web server): its text is
  // made once here, from the commands just built, and bin/ssmtl.mjs prints it as it is.
  const main = pathToFileURL(join(temp, 'main.mjs')).href;
  const help = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', `const { main } = await import(${JSON.stringify(main)}); process.exitCode = await main(['help']);`],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (help.status !== 0 || !help.stdout.startsWith('Usage: ssmtl'))
    throw new Error(`the built command line fails to start: ${help.stderr || help.stdout}`);
  writeFileSync(join(temp, 'help.txt'), help.stdout);
  writeFileSync(join(temp, 'build-info.json'), JSON.stringify({ ...fingerprint, builtAt: new Date().toISOString() }, null, 2));
  mkdirSync(join(ROOT, 'out'), { recursive: true });
  rmSync(NODE_BUILD_DIR, { recursive: true, force: true });
  renameSync(temp, NODE_BUILD_DIR);
} catch (error) {
  rmSync(temp, { recursive: true, force: true });
  throw error;
}
process.stderr.write(`built the command line into ${NODE_BUILD_DIR} in ${Math.round(performance.now() - started)} ms\n`);
