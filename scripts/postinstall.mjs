#!/usr/bin/env node
// The last step of `npm install`: the Electron binary (where it can be downloaded), then
// the command line and the interface, compiled once so that nothing builds at first use.
// A step that fails is reported and the install goes on: the command line then runs
// from its TypeScript sources and serve builds the interface when first asked.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

for (const [script, what] of [
  ['install-electron.mjs', 'the Electron binary'],
  ['build-node.mjs', 'the command line'],
  ['build-interface.mjs', 'the interface'],
]) {
  const result = spawnSync(process.execPath, [join(import.meta.dirname, script)], { stdio: 'inherit' });
  if (result.status !== 0)
    process.stderr.write(
      `SSMTL Studio: ${what} could not be prepared (${script} exited with ${result.status ?? result.signal}); see above.\n`,
    );
}
