#!/usr/bin/env node
// `npm run build:interface` (and a step of `npm install`): builds the interface that
// `ssmtl serve` hosts into out/web, so the first serve starts at once. serve rebuilds it
// itself when the interface's sources are newer than this build.
import { tsImport } from 'tsx/esm/api';
import { ROOT } from './node-build.mjs';

const started = performance.now();
const { ensureRendererBuilt } = await tsImport('../src/cli/serve/build-renderer.ts', import.meta.url);
const dir = await ensureRendererBuilt(ROOT, (line) => process.stderr.write(`${line}\n`));
process.stderr.write(`the interface is built in ${dir} (${Math.round(performance.now() - started)} ms)\n`);
