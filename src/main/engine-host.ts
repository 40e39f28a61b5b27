import { app, utilityProcess, type UtilityProcess } from 'electron';
import { fork, type ChildProcess } from 'node:child_process';
import type { StudioEvent } from '../shared/api.ts';
import type { PixelRoute } from '../shared/pixel-urls.ts';
import type { HostReply, HostRequest } from '../engine/node/studio/host-messages.ts';
import { processEntry } from '../engine/node/process/process-entry.ts';

/**
 * Starts the engine host (src/engine/node/studio/host-process.ts) and talks to it.
 * The engine never runs in this process: it needs better-sqlite3, whose binary is
 * built for one ABI. In a packaged app electron-builder rebuilds it for Electron and
 * the host runs as a utilityProcess. From a source checkout (`npm start`) node_modules
 * holds the build for Node (which the CLI needs), so the host runs under the system
 * Node that started the app (SSMTL_NODE, set by scripts/start.mjs) as a plain child.
 */
export class EngineHostError extends Error {
  override readonly name = 'EngineHostError';
}

type Pending = { resolve: (value: HostReply) => void; reject: (error: Error) => void };

export class EngineHost {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly post: (request: HostRequest) => void;
  private stopped = false;

  private constructor(
    private readonly process: UtilityProcess | ChildProcess,
    private readonly onEvent: (event: StudioEvent) => void,
  ) {
    const onMessage = (message: HostReply) => this.receive(message);
    if ('postMessage' in process && typeof process.postMessage === 'function') {
      const utility = process as UtilityProcess;
      utility.on('message', onMessage);
      utility.on('exit', (code) => this.failAll(`the engine process stopped (exit code ${code})`));
      this.post = (request) => utility.postMessage(request);
    } else {
      const child = process as ChildProcess;
      child.on('message', (m) => onMessage(m as HostReply));
      child.on('exit', (code, signal) => this.failAll(`the engine process stopped (${signal ?? `exit code ${code}`})`));
      // A host that has just died settles its calls through 'exit'; the failed write adds nothing.
      this.post = (request) => void child.send(request, undefined, {}, () => {});
    }
  }

  static start(workspace: string, onEvent: (event: StudioEvent) => void): EngineHost {
    const entry = processEntry('engine-host', app.getAppPath());
    const systemNode = process.env.SSMTL_NODE;
    if (!app.isPackaged && systemNode) {
      const child = fork(entry.path, [workspace], {
        execPath: systemNode,
        execArgv: entry.execArgv,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        // Structured clone, as a utilityProcess's messages: pixel replies carry a Uint8Array.
        serialization: 'advanced',
        env: { ...process.env, ELECTRON_RUN_AS_NODE: undefined },
      });
      return new EngineHost(child, onEvent);
    }
    const utility = utilityProcess.fork(entry.path, [workspace], {
      execArgv: entry.execArgv,
      serviceName: 'SSMTL Studio engine',
      stdio: 'inherit',
    });
    return new EngineHost(utility, onEvent);
  }

  private receive(message: HostReply): void {
    if (message.type === 'event') return this.onEvent(message.event);
    if (message.type === 'ready' || message.type === 'stopped') return;
    const call = this.pending.get(message.id);
    if (!call) return;
    this.pending.delete(message.id);
    call.resolve(message);
  }

  private failAll(reason: string): void {
    this.stopped = true;
    for (const call of this.pending.values()) call.reject(new EngineHostError(reason));
    this.pending.clear();
  }

  private request(
    request: { type: 'call'; method: string; params: unknown[] } | { type: 'pixels'; route: PixelRoute },
  ): Promise<HostReply> {
    if (this.stopped) return Promise.reject(new EngineHostError('the engine process is not running; restart the app'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.post({ ...request, id } as HostRequest);
    });
  }

  async call(method: string, params: unknown[]): Promise<unknown> {
    const reply = await this.request({ type: 'call', method, params });
    if (reply.type === 'error') throw new Error(reply.message);
    return reply.type === 'result' ? reply.result : null;
  }

  async pixels(route: PixelRoute): Promise<{ bytes: Uint8Array; rows: number; cols: number } | null> {
    const reply = await this.request({ type: 'pixels', route });
    if (reply.type === 'error') throw new Error(reply.message);
    return reply.type === 'pixels' && reply.bytes ? { bytes: reply.bytes, rows: reply.rows, cols: reply.cols } : null;
  }

  /** Asks the host to stop its jobs at a checkpoint; resolves when it has exited (bounded). */
  stop(timeoutMs = 30_000): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.process.kill();
        resolve();
      }, timeoutMs);
      (this.process as ChildProcess).once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.post({ type: 'shutdown' });
    });
  }
}
