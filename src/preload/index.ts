import { contextBridge, ipcRenderer } from 'electron';
import { API_CHANNELS, type StudioApi } from '../shared/api.ts';

// Each function is wrapped: the renderer never sees ipcRenderer itself.
const api: StudioApi = {
  workspace: () => ipcRenderer.invoke(API_CHANNELS.workspace),
  listSeries: () => ipcRenderer.invoke(API_CHANNELS.listSeries),
};

contextBridge.exposeInMainWorld('studio', api);
