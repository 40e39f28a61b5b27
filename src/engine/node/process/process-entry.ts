import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { APP_ROOT } from '../app-root.ts';

/** The processes the engine runs apart: one per job, and the Electron app's engine host. */
export type EngineProcess =
  'pretrain-job' | 'import-job' | 'pacs-get-job' | 'finetune-job' | 'predict-job' | 'step-timing-job' | 'engine-host';

/** Entry files, relative to src/engine/node; the bundle in out/node names each by its base name (.mjs). */
const ENTRY_FILES: Record<EngineProcess | 'gradient-worker', string> = {
  'pretrain-job': 'jobs/pretrain-child.ts',
  'import-job': 'jobs/import-child.ts',
  'pacs-get-job': 'jobs/pacs-get-child.ts',
  'finetune-job': 'jobs/finetune-child.ts',
  'predict-job': 'jobs/predict-child.ts',
  'step-timing-job': 'jobs/step-timing-child.ts',
  'engine-host': 'studio/host-process.ts',
  'gradient-worker': 'parallel/gradient-worker.ts',
};

/** Bootstraps that register tsx themselves, for starts that take no loader flag (a worker thread). */
const SOURCE_BOOTSTRAPS: Partial<Record<EngineProcess | 'gradient-worker', string>> = {
  'gradient-worker': 'parallel/gradient-worker-bootstrap.mjs',
};

/**
 * Defined as true in out/node's bundle (scripts/build-node.mjs) and in Electron's main
 * (electron.vite.config.ts); absent when the sources run through tsx.
 */
declare const __SSMTL_BUNDLED__: boolean | undefined;
const BUNDLED = typeof __SSMTL_BUNDLED__ !== 'undefined' && __SSMTL_BUNDLED__;

export interface ProcessEntry {
  /** the module to fork */
  path: string;
  /** Node flags it needs (the TypeScript loader) */
  execArgv: string[];
}

/**
 * Which file starts an engine process or worker thread, and through which loader: the
 * one place that knows. Code running from the bundle (the `ssmtl` command after
 * `npm install`, see bin/ssmtl.mjs) starts the bundle's entries, plain JavaScript; code
 * running from the sources (tests, development) starts the sources through tsx.
 * Electron's main, bundled too, starts the engine host from out/node. `appRoot` is given by a caller bundled elsewhere (Electron's main process:
 * app.getAppPath()).
 */
export function processEntry(name: EngineProcess | 'gradient-worker', appRoot = APP_ROOT): ProcessEntry {
  if (BUNDLED) return { path: join(appRoot, 'out', 'node', ENTRY_FILES[name].replace(/^.*\//, '').replace(/\.ts$/, '.mjs')), execArgv: [] };
  const bootstrap = SOURCE_BOOTSTRAPS[name];
  if (bootstrap) return { path: join(appRoot, 'src', 'engine', 'node', bootstrap), execArgv: [] };
  return sourceEntry(join(appRoot, 'src', 'engine', 'node', ENTRY_FILES[name]));
}

/** How a source file runs as a process: TypeScript through tsx's loader; a bootstrap (.mjs) registers it itself. */
export function sourceEntry(path: string): ProcessEntry {
  if (path.endsWith('.mjs')) return { path, execArgv: [] };
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;
  return { path, execArgv: ['--import', tsx] };
}
