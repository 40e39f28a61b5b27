#!/usr/bin/env node
// `npm start [-- PATH…]`: imports PATHs (or, the first time, the built-in sample) into the
// default workspace and opens the desktop app on it. Where the Electron binary is missing
// it says how to get it and shows the workspace from the command line instead.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { nodeBuildState } from './node-build.mjs';

const root = join(import.meta.dirname, '..');
const home = process.env.SSMTL_HOME ?? join(homedir(), '.ssmtl-studio');
const workspace = process.env.SSMTL_WORKSPACE ?? join(home, 'workspace');
const paths = process.argv.slice(2);

function ssmtl(args, { capture = false } = {}) {
  const result = spawnSync(process.execPath, [join(root, 'bin', 'ssmtl.mjs'), ...args], {
    stdio: capture ? ['ignore', 'pipe', 'inherit'] : 'inherit',
    encoding: 'utf8',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
  return result.stdout;
}

function seriesCount() {
  if (!existsSync(join(workspace, 'catalogue.sqlite'))) return 0;
  return JSON.parse(ssmtl(['info', '--workspace', workspace, '--json'], { capture: true })).series.length;
}

if (paths.length > 0) {
  ssmtl(['import', ...paths, '--workspace', workspace]);
} else if (seriesCount() === 0) {
  const sample = join(home, 'sample');
  console.error(`No data given: importing the built-in sample (synthetic chest CTs) from ${sample}`);
  if (!existsSync(sample)) ssmtl(['sample', '--out', sample]);
  // Only the scans: the label volumes beside them are ground truth, not images to learn from.
  const scans = readdirSync(sample)
    .map((subject) => join(sample, subject, 'dicom'))
    .filter((dir) => existsSync(dir));
  ssmtl(['import', ...scans, '--workspace', workspace]);
}

function electronBinary() {
  try {
    const binary = createRequire(import.meta.url)('electron');
    return typeof binary === 'string' && existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

const electron = electronBinary();
if (!electron) {
  console.error(
    [
      '',
      'The desktop window needs the Electron binary, which is not installed here',
      '(its download during `npm install` failed or was blocked).',
      '  Get it: connect to the internet and run `npm run install-electron`',
      '  (offline: set ELECTRON_MIRROR or electron_config_cache to a local copy of the release first).',
      'Meanwhile the same interface runs in a browser on this machine:',
      `  npx ssmtl serve --workspace "${workspace}"    (then open the printed http://127.0.0.1:… URL)`,
      `and the workspace works from the command line: npx ssmtl info --workspace "${workspace}"`,
      '',
    ].join('\n'),
  );
  ssmtl(['info', '--workspace', workspace]);
  process.exit(0);
}

function run(script, args = []) {
  const result = spawnSync(process.execPath, [script, ...args], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
// The engine host and its jobs start from out/node: rebuilt here when a source changed since.
if (nodeBuildState(root) !== 'current') run(join(root, 'scripts', 'build-node.mjs'));
run(join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), ['build']);
// The engine host runs under this Node (its native modules are built for it; see src/main/engine-host.ts).
const app = spawnSync(electron, [root, workspace], { cwd: root, stdio: 'inherit', env: { ...process.env, SSMTL_NODE: process.execPath } });
process.exit(app.status ?? 0);
