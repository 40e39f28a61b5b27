import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The processes the engine runs apart: one per job, and the Electron app's engine host. */
export type EngineProcess = 'pretrain-job' | 'import-job' | 'pacs-get-job' | 'finetune-job' | 'predict-job' | 'engine-host';

/** Entry files, relative to src/engine/node. */
const ENTRY_FILES: Record<EngineProcess, string> = {
  'pretrain-job': 'jobs/pretrain-child.ts',
  'import-job': 'jobs/import-child.ts',
  'pacs-get-job': 'jobs/pacs-get-child.ts',
  'finetune-job': 'jobs/finetune-child.ts',
  'predict-job': 'jobs/predict-child.ts',
  // A utilityProcess takes no loader flag: its bootstrap registers tsx itself.
  'engine-host': 'studio/host-bootstrap.mjs',
};

/** The application's root folder (package.json's), from this file's place in src/engine/node/process. */
const APP_ROOT = fileURLToPath(new URL('../../../..', import.meta.url));

export interface ProcessEntry {
  /** the module to fork */
  path: string;
  /** Node flags it needs (the TypeScript loader) */
  execArgv: string[];
}

/**
 * Which file starts an engine process, and through which loader: the one place that
 * knows. Today every entry is TypeScript run through tsx, as the CLI runs (no build
 * step); a build that compiles the engine changes this function only. `appRoot` is
 * given by a caller bundled elsewhere (Electron's main process: app.getAppPath()).
 */
export function processEntry(name: EngineProcess, appRoot = APP_ROOT): ProcessEntry {
  return sourceEntry(join(appRoot, 'src', 'engine', 'node', ENTRY_FILES[name]));
}

/** How a source file runs as a process: TypeScript through tsx's loader; a bootstrap (.mjs) registers it itself. */
export function sourceEntry(path: string): ProcessEntry {
  if (path.endsWith('.mjs')) return { path, execArgv: [] };
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;
  return { path, execArgv: ['--import', tsx] };
}
