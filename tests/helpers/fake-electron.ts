import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';

/**
 * Just enough of Electron's main-process and preload API for the built main bundle to
 * run under Node, recording what it configures (windows, handlers, IPC, protocols) so
 * the checklist test can assert on it and drive it. The engine host it starts is a fake
 * utility process that answers every call.
 */
type Handler = (...args: never[]) => unknown;

let nextContentsId = 1;

export class FakeWebContents extends EventEmitter {
  readonly id = nextContentsId++;
  readonly mainFrame = { url: '' };
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  readonly send = vi.fn();
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }
}

export class FakeBrowserWindow extends EventEmitter {
  static all: FakeBrowserWindow[] = [];
  static getAllWindows(): FakeBrowserWindow[] {
    return FakeBrowserWindow.all;
  }
  readonly webContents = new FakeWebContents();
  constructor(readonly options: { webPreferences?: Record<string, unknown> }) {
    super();
    FakeBrowserWindow.all.push(this);
    app.emit('web-contents-created', {}, this.webContents);
  }
  loadURL(url: string): Promise<void> {
    this.webContents.mainFrame.url = url;
    return Promise.resolve();
  }
  isDestroyed(): boolean {
    return false;
  }
  show(): void {}
  destroy(): void {}
}

/** The engine host: answers calls with { method } and pixel requests with "none". */
export class FakeUtilityProcess extends EventEmitter {
  constructor(
    readonly modulePath: string,
    readonly options: { execArgv?: string[] },
  ) {
    super();
  }
  readonly received: { type: string; method?: string; params?: unknown[] }[] = [];
  postMessage(request: { id: number; type: string; method?: string; params?: unknown[] }): void {
    this.received.push(request);
    setImmediate(() => {
      if (request.type === 'call') this.emit('message', { id: request.id, type: 'result', result: { method: request.method } });
      if (request.type === 'pixels') this.emit('message', { id: request.id, type: 'pixels', bytes: null, rows: 0, cols: 0 });
    });
  }
  kill(): void {}
}

let markReady: () => void = () => {};
const ready = new Promise<void>((resolve) => (markReady = resolve));

export const recorded = {
  ready: () => markReady(),
  ipc: new Map<string, Handler>(),
  schemes: [] as { scheme: string; privileges: Record<string, unknown> }[],
  protocols: new Map<string, (request: { url: string; method: string }) => Promise<Response>>(),
  fetched: [] as string[],
  permissionRequest: null as null | ((contents: unknown, permission: string, callback: (granted: boolean) => void) => void),
  permissionCheck: null as null | ((...args: unknown[]) => boolean),
  utilities: [] as FakeUtilityProcess[],
  exposed: new Map<string, unknown>(),
  invoked: [] as unknown[][],
  /** Chromium switches appended, and whether the app was ready by then (too late to count) */
  switches: [] as { name: string; value?: string; afterReady: boolean }[],
};
let isReady = false;
void ready.then(() => (isReady = true));

export const userData = mkdtempSync(join(tmpdir(), 'ssmtl-fake-electron-'));

export const app = Object.assign(new EventEmitter(), {
  isPackaged: false,
  whenReady: () => ready,
  getAppPath: () => process.cwd(),
  /** a throwaway folder for every name (userData holds the PACS secrets file) */
  getPath: () => userData,
  quit: vi.fn(),
  commandLine: {
    appendSwitch: (name: string, value?: string) => recorded.switches.push({ name, value, afterReady: isReady }),
  },
});

export const shell = { openExternal: vi.fn(async () => {}), openPath: vi.fn(async () => '') };

export const electron = {
  app,
  shell,
  BrowserWindow: FakeBrowserWindow,
  dialog: { showOpenDialog: vi.fn(async () => ({ canceled: true, filePaths: [] })) },
  ipcMain: { handle: (channel: string, handler: Handler) => recorded.ipc.set(channel, handler) },
  session: {
    defaultSession: {
      setPermissionRequestHandler: (handler: typeof recorded.permissionRequest) => (recorded.permissionRequest = handler),
      setPermissionCheckHandler: (handler: typeof recorded.permissionCheck) => (recorded.permissionCheck = handler),
    },
  },
  protocol: {
    registerSchemesAsPrivileged: (schemes: typeof recorded.schemes) => recorded.schemes.push(...schemes),
    handle: (scheme: string, handler: (request: { url: string; method: string }) => Promise<Response>) =>
      recorded.protocols.set(scheme, handler),
  },
  net: {
    fetch: async (url: string) => {
      recorded.fetched.push(url);
      return new Response('<!doctype html>', { status: 200, headers: { 'Content-Type': 'text/html' } });
    },
  },
  utilityProcess: {
    fork: (modulePath: string, _args: string[], options: { execArgv?: string[] }) => {
      const utility = new FakeUtilityProcess(modulePath, options);
      recorded.utilities.push(utility);
      return utility;
    },
  },
  // No keychain here: the PACS secrets stay unsaved, as on a machine without one.
  safeStorage: { isEncryptionAvailable: () => false, encryptString: vi.fn(), decryptString: vi.fn() },
  // The preload's side.
  contextBridge: { exposeInMainWorld: (name: string, api: unknown) => recorded.exposed.set(name, api) },
  ipcRenderer: {
    invoke: vi.fn(async (...args: unknown[]) => void recorded.invoked.push(args)),
    on: vi.fn(),
    off: vi.fn(),
  },
  webUtils: { getPathForFile: () => '' },
};
