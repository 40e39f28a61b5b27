import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { API_CHANNELS, STUDIO_METHODS } from '../src/shared/api.ts';
import { buildElectronMain } from './helpers/build-electron-main.ts';
import { FakeBrowserWindow, FakeWebContents, electron, recorded, shell, userData } from './helpers/fake-electron.ts';

vi.mock('electron', async () => (await import('./helpers/fake-electron.ts')).electron);

/**
 * The Electron security checklist, asserted on the built main process and preload (the
 * bundles `npm run build` makes) running against a recording stand-in for Electron: no
 * Electron binary is needed. Each assertion is a setting a regression would silently drop.
 */
const ROOT = join(import.meta.dirname, '..');
const OUT = join(ROOT, 'out', `electron-checklist-${process.pid}`);
const APP = 'ssmtl://app';

describe('Electron security checklist (built main process)', () => {
  let preloadPath: string;
  let mainWindow: FakeBrowserWindow;
  let gpuWindow: FakeBrowserWindow;

  beforeAll(async () => {
    const built = await buildElectronMain(ROOT, OUT);
    preloadPath = built.preload;
    delete process.env.SSMTL_NODE;
    await import(/* @vite-ignore */ built.main);
    recorded.ready();
    await vi.waitFor(() => expect(FakeBrowserWindow.all.length).toBe(2));
    [mainWindow, gpuWindow] = FakeBrowserWindow.all;
  });

  afterAll(() => {
    rmSync(OUT, { recursive: true, force: true });
    rmSync(userData, { recursive: true, force: true });
  });

  it('opens every window with context isolation, the sandbox, no Node, web security, no <webview>, and our preload', () => {
    for (const window of [mainWindow, gpuWindow]) {
      const preferences = window.options.webPreferences ?? {};
      expect(preferences).toMatchObject({
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        webSecurity: true,
        webviewTag: false,
      });
      for (const risky of ['nodeIntegrationInWorker', 'nodeIntegrationInSubFrames', 'allowRunningInsecureContent', 'experimentalFeatures'])
        expect(preferences[risky], risky).toBeFalsy();
      expect(preferences.enableBlinkFeatures).toBeUndefined();
      expect(preferences.preload).toBe(preloadPath);
      expect(existsSync(preferences.preload as string)).toBe(true);
    }
    expect(mainWindow.webContents.mainFrame.url).toBe(`${APP}/index.html`);
    expect(gpuWindow.webContents.mainFrame.url).toBe(`${APP}/compute.html`);
  });

  it('serves its pages from its own scheme with a Content-Security-Policy that allows no other origin', async () => {
    expect(recorded.schemes).toEqual([{ scheme: 'ssmtl', privileges: expect.objectContaining({ standard: true, secure: true }) }]);
    expect(recorded.schemes[0].privileges.bypassCSP).toBeFalsy();
    const handle = recorded.protocols.get('ssmtl')!;
    const page = await handle({ url: `${APP}/index.html`, method: 'GET' });
    const policy = page.headers.get('content-security-policy') ?? '';
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "connect-src 'self'",
      "object-src 'none'",
      "frame-ancestors 'none'",
    ])
      expect(policy).toContain(directive);
    expect(policy).not.toMatch(/unsafe-eval|https?:|\*/);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    // The page's own meta policy says the same.
    expect(readFileSync(join(ROOT, 'src/renderer/index.html'), 'utf8')).toMatch(
      /Content-Security-Policy"\s+content="default-src 'self'; script-src 'self';/,
    );
    // Nothing outside the renderer build (next to the main bundle), nothing of another host, no other method.
    const rendererDir = pathToFileURL(join(OUT, 'renderer')).href;
    for (const url of [
      `${APP}/..%2f..%2fpackage.json`,
      `${APP}/%2e%2e/%2e%2e/package.json`,
      `${APP}/..%5c..%5cpackage.json`,
      `${APP}/%00`,
    ]) {
      const answer = await handle({ url, method: 'GET' });
      expect(answer.status === 403 || recorded.fetched.at(-1)!.startsWith(`${rendererDir}/`), url).toBe(true);
    }
    expect(recorded.fetched.every((fetched) => fetched.startsWith(`${rendererDir}/`))).toBe(true);
    const fetches = recorded.fetched.length;
    expect((await handle({ url: 'ssmtl://evil/index.html', method: 'GET' })).status).toBe(404);
    expect((await handle({ url: `${APP}/index.html`, method: 'POST' })).status).toBe(404);
    expect(recorded.fetched.length).toBe(fetches);
    expect((await handle({ url: `${APP}/api/series/x/slices/0`, method: 'GET' })).status).toBe(404);
  });

  it('blocks navigation away from the app, redirects, <webview> and window.open, and opens no external link', () => {
    for (const window of [mainWindow, gpuWindow]) {
      const contents = window.webContents;
      const navigate = (url: string) => {
        const event = { preventDefault: vi.fn() };
        contents.emit('will-navigate', event, url);
        return event.preventDefault.mock.calls.length > 0;
      };
      for (const url of [
        'https://example.com/',
        'http://127.0.0.1:8080/',
        'file:///etc/passwd',
        'ssmtl://app.evil/',
        'javascript:alert(1)',
        'data:text/html,x',
      ])
        expect(navigate(url), url).toBe(true);
      expect(navigate(`${APP}/index.html`)).toBe(false);
      for (const name of ['will-redirect', 'will-attach-webview']) {
        const event = { preventDefault: vi.fn() };
        contents.emit(name, event, 'https://example.com/');
        expect(event.preventDefault, name).toHaveBeenCalled();
      }
      for (const url of [
        'https://example.com/docs',
        'https://github.com/',
        'http://example.com/',
        'file:///etc/passwd',
        'mailto:a@b.c',
        `${APP}/index.html`,
      ])
        expect(contents.windowOpenHandler!({ url }), url).toEqual({ action: 'deny' });
    }
    expect(shell.openExternal).not.toHaveBeenCalled();
    // The built bundle has no way to open an external link at all.
    expect(readFileSync(join(OUT, 'main', 'index.js'), 'utf8')).not.toContain('openExternal');
  });

  it('turns on WebGPU for the hidden GPU window before the app is ready, on Linux only (Windows and macOS have it by default)', () => {
    const expected = process.platform === 'linux' ? ['enable-unsafe-webgpu', 'enable-features=Vulkan'] : [];
    expect(recorded.switches.map((s) => (s.value === undefined ? s.name : `${s.name}=${s.value}`))).toEqual(expected);
    expect(recorded.switches.every((s) => !s.afterReady)).toBe(true);
  });

  it('starts its engine host from the built JavaScript in out/node, with no TypeScript loader', () => {
    expect(recorded.utilities).toHaveLength(1);
    const [host] = recorded.utilities;
    expect(host.modulePath).toBe(join(process.cwd(), 'out', 'node', 'host-process.mjs'));
    expect(host.options.execArgv ?? []).toEqual([]);
    expect(readFileSync(join(OUT, 'main', 'index.js'), 'utf8')).not.toMatch(/tsx|host-bootstrap/);
  });

  it('grants no permission', () => {
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'fullscreen', 'hid', 'serial']) {
      const callback = vi.fn();
      recorded.permissionRequest!(mainWindow.webContents, permission, callback);
      expect(callback, permission).toHaveBeenCalledWith(false);
      expect(recorded.permissionCheck!(mainWindow.webContents, permission, APP, {})).toBe(false);
    }
  });

  describe('IPC', () => {
    const invoke = (method: string, event: { sender: unknown; senderFrame: unknown }, ...args: unknown[]) =>
      Promise.resolve().then(() =>
        (recorded.ipc.get(API_CHANNELS[method as keyof typeof API_CHANNELS]) as (...a: unknown[]) => unknown)(event, ...args),
      );
    const from = (window: FakeBrowserWindow) => ({ sender: window.webContents, senderFrame: window.webContents.mainFrame });

    it('has a handler for each API method and nothing else', () => {
      expect([...recorded.ipc.keys()].sort()).toEqual(STUDIO_METHODS.map((m) => API_CHANNELS[m]).sort());
    });

    it('answers only our windows’ top frames on our origin; the GPU window only its part of the API', async () => {
      const stranger = new FakeWebContents();
      stranger.mainFrame.url = `${APP}/index.html`;
      await expect(invoke('listSeries', { sender: stranger, senderFrame: stranger.mainFrame })).rejects.toThrow(/refused/);
      await expect(invoke('listSeries', { sender: mainWindow.webContents, senderFrame: { url: `${APP}/index.html` } })).rejects.toThrow(
        /refused/,
      );
      mainWindow.webContents.mainFrame.url = 'https://evil.example/';
      await expect(invoke('listSeries', from(mainWindow))).rejects.toThrow(/refused/);
      mainWindow.webContents.mainFrame.url = `${APP}/index.html`;
      await expect(invoke('startImport', from(gpuWindow), ['/data'])).rejects.toThrow(/refused/);
      await expect(invoke('workspace', from(gpuWindow))).resolves.toEqual({ method: 'workspace' });
      await expect(invoke('listSeries', from(mainWindow))).resolves.toEqual({ method: 'listSeries' });
    });

    it('validates every payload before it reaches the engine', async () => {
      const engine = recorded.utilities[0];
      const before = engine.received.length;
      await expect(invoke('startImport', from(mainWindow), 'not a list')).rejects.toThrow(/expected a list/);
      await expect(invoke('startImport', from(mainWindow), ['/a'], 'extra')).rejects.toThrow(/takes 1 argument/);
      await expect(invoke('saveAnnotation', from(mainWindow), 'x', -1, new Uint8Array(2))).rejects.toThrow(/integer/);
      const polluted = JSON.parse('{"__proto__":{"admin":true},"model":"m","seriesId":"s"}') as unknown;
      await expect(invoke('startPredict', from(mainWindow), polluted)).rejects.toThrow(/unexpected field '__proto__'/);
      await expect(invoke('startPredict', from(mainWindow), { model: '../../etc/passwd', seriesId: 's' })).rejects.toThrow(/model name/);
      expect(engine.received.length).toBe(before);
      await invoke('startPredict', from(mainWindow), { model: 'seg', seriesId: 's' });
      expect(engine.received.at(-1)).toMatchObject({ type: 'call', method: 'startPredict', params: [{ model: 'seg', seriesId: 's' }] });
    });
  });

  it('exposes to the page only the wrapped API of the preload, never ipcRenderer', async () => {
    // The preload is CommonJS (a sandboxed preload must be one file): run it as Electron does, with its require.
    const source = readFileSync(preloadPath, 'utf8');
    const requireElectron = (name: string) => {
      if (name !== 'electron') throw new Error(`the preload requires '${name}': a sandboxed preload may require only electron`);
      return electron;
    };
    new Function('require', 'module', 'exports', source)(requireElectron, { exports: {} }, {});
    expect([...recorded.exposed.keys()].sort()).toEqual(['studio', 'studioFiles']);
    const studio = recorded.exposed.get('studio') as Record<string, unknown>;
    expect(Object.keys(studio).sort()).toEqual([...STUDIO_METHODS, 'onEvent'].sort());
    for (const [name, value] of Object.entries(studio)) expect(typeof value, name).toBe('function');
    for (const api of recorded.exposed.values())
      for (const value of Object.values(api as object)) expect(value).not.toBe(electron.ipcRenderer);
    await (studio.listSeries as (...a: unknown[]) => Promise<unknown>)();
    expect(recorded.invoked.at(-1)).toEqual([API_CHANNELS.listSeries]);
  });
});
