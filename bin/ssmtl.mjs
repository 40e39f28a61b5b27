#!/usr/bin/env node
// The `ssmtl` command. TypeScript sources run through tsx, so no build step stands
// between `npm install` and a working command line.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
