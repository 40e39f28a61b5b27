import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { WebSocket } from 'ws';
import type { ConnectionLimits } from '../../src/cli/serve/websocket-api.ts';

const SERVE_PROCESS = join(import.meta.dirname, 'serve-process.ts');

export interface ServeProcess {
  process: ChildProcess;
  url: string;
  port: number;
  token: string;
  scope: string;
  cookieName: string;
  /** the headers of a client of this server that holds the token */
  headers(): Record<string, string>;
  stderr(): string;
  /** SIGTERM, then the temporary workspace goes */
  stop(): Promise<void>;
}

/** serve-process.ts on `workspace` (default: a fresh empty one), with the WebSocket limits given (default: serve's own). */
export async function startServeProcess(workspace?: string, limits?: ConnectionLimits, env?: NodeJS.ProcessEnv): Promise<ServeProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'ssmtl-serve-process-'));
  const args = [SERVE_PROCESS, workspace ?? join(dir, 'workspace'), join(dir, 'web'), ...(limits ? [JSON.stringify(limits)] : [])];
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: env ?? process.env,
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`serve-process exited (${code}): ${stderr}`)));
  });
  const started = JSON.parse(first) as { url: string; token: string; scope: string; cookieName: string };
  const port = Number(new URL(started.url).port);
  return {
    ...started,
    process: child,
    port,
    headers: () => ({ Cookie: `${started.cookieName}=${started.token}`, Origin: `http://127.0.0.1:${port}` }),
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A well-behaved client of the API, as the page is. */
export async function openApiClient(
  server: ServeProcess,
): Promise<{ call(method: string, params?: unknown[]): Promise<unknown>; socket: WebSocket }> {
  const socket = new WebSocket(`ws://127.0.0.1:${server.port}${server.scope}api/ws`, { headers: server.headers() });
  await new Promise((resolve, reject) => (socket.once('open', resolve), socket.once('error', reject)));
  let next = 1;
  const call = (method: string, params: unknown[] = []) =>
    new Promise<unknown>((resolve, reject) => {
      const id = next++;
      const onMessage = (data: Buffer) => {
        const message = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: string };
        if (message.id !== id) return;
        socket.off('message', onMessage);
        if (message.error) reject(new Error(message.error));
        else resolve(message.result);
      };
      socket.on('message', onMessage);
      socket.send(JSON.stringify({ id, method, params }));
    });
  return { call, socket };
}
