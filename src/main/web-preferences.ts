import { join } from 'node:path';
import type { WebPreferences } from 'electron';

/** The preload script (built as CommonJS: a sandboxed preload must be one file). */
export const PRELOAD = join(import.meta.dirname, '../preload/index.cjs');

/**
 * What every window of the app runs with: context isolation and the sandbox on, no Node
 * in the page, web security on, no <webview>. Only the preload's wrapped API reaches main.
 */
export const SECURE_WEB_PREFERENCES: WebPreferences = {
  preload: PRELOAD,
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  webSecurity: true,
  webviewTag: false,
  spellcheck: false,
};
