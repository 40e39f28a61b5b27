import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

/**
 * Starts one of the studio's engine processes (a TypeScript entry next to this file)
 * under the same Node, through tsx as the CLI runs; its stdout goes to our stderr
 * (library chatter never mixes with a command's JSON).
 */
export function forkEngineProcess(entryFile: string): ChildProcess {
  const entry = fileURLToPath(new URL(entryFile, import.meta.url));
  const tsx = pathToFileURL(require.resolve('tsx/esm')).href;
  const child = fork(entry, [], { execArgv: ['--import', tsx], stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env: process.env });
  child.stdout?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  return child;
}
