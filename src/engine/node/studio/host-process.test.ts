import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { APP_ROOT } from '../app-root.ts';
import { sourceEntry } from '../process/process-entry.ts';
import type { HostReply, HostRequest } from './host-messages.ts';

/**
 * The Electron app's engine host, driven as Electron main drives it from a source
 * checkout (a child of the system Node; a packaged app uses utilityProcess instead):
 * the built one Electron starts (out/node, made by `npm test`'s build:node first) and
 * the sources, which must behave the same.
 */
const ENTRIES = {
  'built (out/node, what Electron starts)': { path: join(APP_ROOT, 'out', 'node', 'host-process.mjs'), execArgv: [] as string[] },
  'sources through tsx': sourceEntry(join(APP_ROOT, 'src', 'engine', 'node', 'studio', 'host-process.ts')),
};

describe('engine host process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ssmtl-host-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(Object.entries(ENTRIES))(
    '%s: answers calls, refuses bad ones, serves no pixels for unknown series, and stops on request',
    async (_, entry) => {
      const workspace = join(mkdtempSync(join(dir, 'run-')), 'workspace');
      const child = fork(entry.path, [workspace], { execArgv: entry.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const replies: HostReply[] = [];
      const waitFor = (predicate: (reply: HostReply) => boolean) =>
        new Promise<HostReply>((resolve) => {
          const found = replies.find(predicate);
          if (found) return resolve(found);
          const onMessage = (m: unknown) => {
            if (predicate(m as HostReply)) {
              child.off('message', onMessage);
              resolve(m as HostReply);
            }
          };
          child.on('message', onMessage);
        });
      child.on('message', (m) => replies.push(m as HostReply));
      const send = (request: HostRequest) => child.send(request);
      await waitFor((r) => r.type === 'ready');

      send({ id: 1, type: 'call', method: 'workspace', params: [] });
      const status = await waitFor((r) => 'id' in r && r.id === 1);
      expect(status).toMatchObject({ type: 'result', result: { dir: workspace, exists: false, transport: 'electron' } });

      send({ id: 2, type: 'call', method: 'listSeries', params: [] });
      expect(await waitFor((r) => 'id' in r && r.id === 2)).toMatchObject({ type: 'result', result: [] });

      send({ id: 3, type: 'call', method: 'startImport', params: [['/nonexistent/folder']] });
      expect(await waitFor((r) => 'id' in r && r.id === 3)).toMatchObject({
        type: 'error',
        input: true,
        message: expect.stringMatching(/nothing at \/nonexistent\/folder: check the folder's path/),
      });

      send({ id: 4, type: 'call', method: 'eval', params: ['1'] });
      expect(await waitFor((r) => 'id' in r && r.id === 4)).toMatchObject({ type: 'error', input: true });

      send({ id: 5, type: 'pixels', route: { kind: 'slice', seriesId: 'x', index: 0 } });
      expect(await waitFor((r) => 'id' in r && r.id === 5)).toMatchObject({ type: 'pixels', bytes: null });

      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      send({ type: 'shutdown' });
      expect(await exited).toBe(0);
    },
    60_000,
  );
});
