import { app, BrowserWindow, ipcMain, session, shell, type IpcMainInvokeEvent } from 'electron';
import { join } from 'node:path';
import { API_CHANNELS } from '../shared/api.ts';
import { Workspace } from '../engine/node/workspace/workspace.ts';
import { seriesInfo } from '../engine/node/workspace/series-info.ts';

/** The workspace is chosen on the command line (`npm start -- DIR` passes it on); one per window. */
const workspaceDir = process.argv.find((arg, i) => i > 1 && !arg.startsWith('-') && !arg.endsWith('.js')) ?? null;

let mainWindow: BrowserWindow | null = null;

function createWindow(): void {
  mainWindow = new BrowserWindow({
    width: 1280,
    height: 800,
    title: 'SSMTL Studio',
    show: false,
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  mainWindow.once('ready-to-show', () => mainWindow?.show());
  // Nothing navigates away from the app, and no window opens from it.
  mainWindow.webContents.on('will-navigate', (event) => event.preventDefault());
  mainWindow.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  if (process.env.ELECTRON_RENDERER_URL) void mainWindow.loadURL(process.env.ELECTRON_RENDERER_URL);
  else void mainWindow.loadFile(join(import.meta.dirname, '../renderer/index.html'));
}

/** Only our own window's top frame may call the API. */
function fromOurWindow(event: IpcMainInvokeEvent): boolean {
  return mainWindow !== null && event.sender === mainWindow.webContents && event.senderFrame === mainWindow.webContents.mainFrame;
}

function handle(channel: string, handler: () => unknown): void {
  ipcMain.handle(channel, (event, ...args: unknown[]) => {
    if (!fromOurWindow(event)) throw new Error('refused: the request did not come from the SSMTL Studio window');
    if (args.length > 0) throw new Error(`${channel} takes no arguments`);
    return handler();
  });
}

app.whenReady().then(() => {
  // The app needs no camera, microphone, notifications or other permissions.
  session.defaultSession.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  handle(API_CHANNELS.workspace, () => workspaceDir);
  handle(API_CHANNELS.listSeries, () => {
    if (!workspaceDir) return [];
    const workspace = Workspace.open(workspaceDir, { create: false });
    try {
      return seriesInfo(workspace);
    } finally {
      workspace.close();
    }
  });
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
