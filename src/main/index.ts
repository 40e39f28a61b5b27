import { app, BrowserWindow, dialog, ipcMain, session, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { join, resolve } from 'node:path';
import { API_CHANNELS, EVENT_CHANNEL, STUDIO_METHODS, type StudioEvent } from '../shared/api.ts';
import { validateCall } from '../shared/api-validation.ts';
import { errorMessage } from '../shared/errors.ts';
import { APP_ORIGIN, handleAppProtocol, registerAppScheme } from './app-protocol.ts';
import { defaultWorkspace } from '../engine/node/studio/default-workspace.ts';
import { EngineHost } from './engine-host.ts';
import { GPU_WINDOW_METHODS, createGpuWindow } from './gpu-window.ts';
import { SECURE_WEB_PREFERENCES } from './web-preferences.ts';
import { PacsKeychain } from './pacs-keychain.ts';
import { webGpuSwitches } from './webgpu-switches.ts';

/**
 * Electron main: one window, the app protocol, validated IPC, and the engine host
 * process (see engine-host.ts for why the engine never runs here). The workspace is the
 * folder given on the command line (`npm start` passes one), else the default one.
 */
const firstArgument = app.isPackaged ? 1 : 2;
const workspaceDir = process.argv.slice(firstArgument).find((arg) => !arg.startsWith('-')) ?? defaultWorkspace();

let mainWindow: BrowserWindow | null = null;
/** hidden: lends Chromium's WebGPU to pre-training (gpu-window.ts) */
let gpuWindow: BrowserWindow | null = null;
let engine: EngineHost | null = null;
let keychain: PacsKeychain | null = null;

registerAppScheme();
// Before 'ready': WebGPU's adapter for the hidden GPU window (webgpu-switches.ts).
for (const [name, value] of webGpuSwitches(process.platform)) app.commandLine.appendSwitch(name, value);

function createWindow(): void {
  mainWindow = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'SSMTL Studio',
    show: false,
    backgroundColor: '#0f1216',
    webPreferences: SECURE_WEB_PREFERENCES,
  });
  mainWindow.once('ready-to-show', () => mainWindow?.show());
  mainWindow.on('closed', () => {
    mainWindow = null;
    gpuWindow?.destroy();
  });
  void mainWindow.loadURL(`${APP_ORIGIN}/index.html`);
  startGpuWindow();
}

/** The GPU window's registration ends with it: a crashed or closed window fails its run at the last checkpoint. */
function startGpuWindow(): void {
  if (gpuWindow) return;
  const window = createGpuWindow();
  gpuWindow = window;
  const registered: string[] = [];
  const release = () => {
    for (const workerId of registered.splice(0)) void engine?.call('releaseGpuWorker', [workerId]).catch(() => {});
  };
  window.webContents.on('render-process-gone', () => {
    release();
    window.destroy();
    // A GPU driver crash takes the window with it: offer the GPU again with a new one.
    if (mainWindow) setTimeout(startGpuWindow, 2000);
  });
  window.on('closed', () => {
    release();
    if (gpuWindow === window) gpuWindow = null;
  });
  // Its title names the adapter it lends, or why there is none: worth a line in the log.
  window.on('page-title-updated', (_event, title) => console.log(title));
  gpuRegistrations.set(window.webContents.id, registered);
}

/** workerIds each GPU window registered, by its webContents id */
const gpuRegistrations = new Map<number, string[]>();

/**
 * No page of ours navigates anywhere or opens windows. Nor does a link hand its URL to
 * the system browser (shell.openExternal): the interface links nowhere outside the app,
 * so the list of external links allowed is empty, and a compromised page cannot send
 * patient identifiers off in a URL or start another program by its URL scheme.
 */
function lockDown(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!url.startsWith(`${APP_ORIGIN}/`)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/** Only our own windows' top frames, showing our own origin, may call the API (the GPU window only its part). */
function fromOurWindow(event: IpcMainInvokeEvent, method: string): boolean {
  const window = [mainWindow, gpuWindow].find((w) => w !== null && !w.isDestroyed() && event.sender === w.webContents);
  if (!window || event.senderFrame !== window.webContents.mainFrame || !(event.senderFrame?.url ?? '').startsWith(`${APP_ORIGIN}/`))
    return false;
  return window === mainWindow || GPU_WINDOW_METHODS.has(method);
}

function sendEvent(event: StudioEvent): void {
  // Tasks for the GPU worker go to the hidden window only; everything else to the interface.
  const target = event.type === 'gpu-task' ? gpuWindow : mainWindow;
  if (target && !target.isDestroyed()) target.webContents.send(EVENT_CHANNEL, event);
}

function registerIpc(): void {
  for (const method of STUDIO_METHODS) {
    ipcMain.handle(API_CHANNELS[method], async (event, ...args: unknown[]) => {
      if (!fromOurWindow(event, method)) throw new Error('refused: the request did not come from the SSMTL Studio window');
      const call = validateCall(method, args);
      if (call.method === 'chooseFolder') {
        const options = { title: 'Import a folder of DICOM or NIfTI files', properties: ['openDirectory' as const] };
        const chosen = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
        return chosen.canceled ? null : (chosen.filePaths[0] ?? null);
      }
      if (!engine) throw new Error('no workspace is open: start the app with `npm start -- FOLDER`');
      try {
        const result = await engine.call(call.method, call.params);
        keepPacsSecret(call.method, call.params);
        if (call.method === 'registerGpuWorker') gpuRegistrations.get(event.sender.id)?.push((result as { workerId: string }).workerId);
        return result;
      } catch (error) {
        // One line a person can read, not Electron's "Error invoking remote method" wrapper.
        throw new Error(errorMessage(error));
      }
    });
  }
}

/** A PACS password saved in the interface goes to the OS keychain; a removed PACS takes its secret with it. */
function keepPacsSecret(method: string, params: unknown[]): void {
  if (method === 'savePacs') {
    const [entry, secret] = params as [{ name: string; auth: { kind: string } }, string | null];
    if (entry.auth.kind === 'none') keychain?.forget(entry.name);
    else if (secret !== null) keychain?.remember(entry.name, secret);
  } else if (method === 'removePacs') keychain?.forget(params[0] as string);
}

/** The engine starts without secrets: hand it those the keychain holds for this workspace. */
function unlockPacs(): void {
  for (const [name, secret] of keychain?.secrets() ?? []) void engine?.call('unlockPacs', [name, secret]).catch(() => {});
}

app.whenReady().then(() => {
  // The app needs no camera, microphone, notifications, location or other permissions.
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  app.on('web-contents-created', (_event, contents) => lockDown(contents));
  engine = EngineHost.start(workspaceDir, sendEvent);
  keychain = new PacsKeychain(join(app.getPath('userData'), 'pacs-secrets.json'), resolve(workspaceDir));
  unlockPacs();
  handleAppProtocol(join(import.meta.dirname, '../renderer'), () => engine);
  registerIpc();
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

let quitting = false;
app.on('before-quit', (event) => {
  // Let running jobs write their checkpoint before the engine goes.
  if (quitting || !engine) return;
  event.preventDefault();
  quitting = true;
  void engine.stop().finally(() => app.quit());
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
