import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { API_CHANNELS, EVENT_CHANNEL, STUDIO_METHODS, type StudioApi, type StudioEvent } from '../shared/api.ts';

// Each function is wrapped: the renderer never sees ipcRenderer itself, only these
// calls, whose arguments the main process validates again (api-validation.ts).
const api: Record<string, unknown> = {
  onEvent: (listener: (event: StudioEvent) => void) => {
    const forward = (_event: IpcRendererEvent, payload: StudioEvent) => listener(payload);
    ipcRenderer.on(EVENT_CHANNEL, forward);
    return () => ipcRenderer.off(EVENT_CHANNEL, forward);
  },
};
for (const method of STUDIO_METHODS) api[method] = (...args: unknown[]) => ipcRenderer.invoke(API_CHANNELS[method], ...args);

contextBridge.exposeInMainWorld('studio', api as unknown as StudioApi);
// Dropped files: a sandboxed page cannot see their paths; this returns just the path.
contextBridge.exposeInMainWorld('studioFiles', { pathForFile: (file: File) => webUtils.getPathForFile(file) });
