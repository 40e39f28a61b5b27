#!/usr/bin/env node
// Runs Electron's own binary download (node_modules/electron/install.js) after `npm install`,
// and lets the install succeed when it cannot: on an offline workstation or a locked-down
// network the command line and everything but the desktop window still work.
// (npm would fail the whole install if it ran that script itself and the download failed.)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const installer = join(import.meta.dirname, '..', 'node_modules', 'electron', 'install.js');
if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD || !existsSync(installer)) process.exit(0);

const result = spawnSync(process.execPath, [installer], {
  stdio: ['ignore', 'inherit', 'pipe'],
  encoding: 'utf8',
  timeout: 15 * 60 * 1000,
});
if (result.status === 0) process.exit(0);

const cause = (result.stderr || result.error?.message || 'unknown error').split('\n').find((line) => line.trim()) ?? 'unknown error';
process.stderr.write(
  [
    '',
    'SSMTL Studio: the Electron binary could not be downloaded, so the desktop window is not available yet.',
    `  cause: ${cause.trim()}`,
    '  Everything else works without it: `npx ssmtl help` lists the commands.',
    '  To get the window later: connect this machine to the internet (or point ELECTRON_MIRROR or',
    '  electron_config_cache at an offline copy of the Electron release) and run `npm run install-electron`.',
    '',
  ].join('\n'),
);
process.exit(0);
