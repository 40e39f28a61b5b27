import { app, BrowserWindow, dialog, ipcMain, session, shell, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { join } from 'node:path';
import { API_CHANNELS, EVENT_CHANNEL, STUDIO_METHODS, type StudioEvent } from '../shared/api.ts';
import { validateCall } from '../shared/api-validation.ts';
import { errorMessage } from '../shared/errors.ts';
import { APP_ORIGIN, handleAppProtocol, registerAppScheme } from './app-protocol.ts';
import { defaultWorkspace } from '../engine/node/studio/default-workspace.ts';
import { EngineHost } from './engine-host.ts';

/**
 * Electron main: one window, the app protocol, validated IPC, and the engine host
 * process (see engine-host.ts for why the engine never runs here). The workspace is the
 * folder given on the command line (`npm start` passes one), else the default one.
 */
const firstArgument = app.isPackaged ? 1 : 2;
const workspaceDir = process.argv.slice(firstArgument).find((arg) => !arg.startsWith('-')) ?? defaultWorkspace();

let mainWindow: BrowserWindow | null = null;
let engine: EngineHost | null = null;

registerAppScheme();

function createWindow(): void {
  mainWindow = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'SSMTL Studio',
    show: false,
    backgroundColor: '#0f1216',
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      spellcheck: false,
    },
  });
  mainWindow.once('ready-to-show', () => mainWindow?.show());
  mainWindow.on('closed', () => (mainWindow = null));
  void mainWindow.loadURL(`${APP_ORIGIN}/index.html`);
}

/** No page of ours navigates anywhere or opens windows; https links go to the system browser. */
function lockDown(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!url.startsWith(`${APP_ORIGIN}/`)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
}

/** Only our own window's top frame, showing our own origin, may call the API. */
function fromOurWindow(event: IpcMainInvokeEvent): boolean {
  return (
    mainWindow !== null &&
    event.sender === mainWindow.webContents &&
    event.senderFrame === mainWindow.webContents.mainFrame &&
    (event.senderFrame?.url ?? '').startsWith(`${APP_ORIGIN}/`)
  );
}

function sendEvent(event: StudioEvent): void {
  mainWindow?.webContents.send(EVENT_CHANNEL, event);
}

function registerIpc(): void {
  for (const method of STUDIO_METHODS) {
    ipcMain.handle(API_CHANNELS[method], async (event, ...args: unknown[]) => {
      if (!fromOurWindow(event)) throw new Error('refused: the request did not come from the SSMTL Studio window');
      const call = validateCall(method, args);
      if (call.method === 'chooseFolder') {
        const options = { title: 'Import a folder of DICOM or NIfTI files', properties: ['openDirectory' as const] };
        const chosen = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
        return chosen.canceled ? null : (chosen.filePaths[0] ?? null);
      }
      if (!engine) throw new Error('no workspace is open: start the app with `npm start -- FOLDER`');
      try {
        return await engine.call(call.method, call.params);
      } catch (error) {
        // One line a person can read, not Electron's "Error invoking remote method" wrapper.
        throw new Error(errorMessage(error));
      }
    });
  }
}

app.whenReady().then(() => {
  // The app needs no camera, microphone, notifications, location or other permissions.
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  app.on('web-contents-created', (_event, contents) => lockDown(contents));
  engine = EngineHost.start(workspaceDir, sendEvent);
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
