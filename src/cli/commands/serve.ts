import { resolve } from 'node:path';
import { APP_ROOT } from '../../engine/node/app-root.ts';
import { defaultWorkspace } from '../../engine/node/studio/default-workspace.ts';
import { StudioService } from '../../engine/node/studio/studio-service.ts';
import { InputError } from '../../shared/errors.ts';
import type { Command } from '../command.ts';
import { optionalNumber, optionalString } from '../options.ts';
import { ensureRendererBuilt } from '../serve/build-renderer.ts';
import { startStudioServer } from '../serve/studio-server.ts';

/** `ssmtl serve`: the desktop interface for a browser on this machine (CONTRACT.md). */
export const serveCommand: Command = {
  name: 'serve',
  summary: "Serve the desktop app's interface to a browser on this machine (token-protected, loopback) until Ctrl-C.",
  usage: 'serve [--workspace DIR] [--port N] [--host 127.0.0.1] [--json]',
  options: { workspace: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } },
  async run(context) {
    const workspace = resolve(optionalString(context, 'workspace') ?? defaultWorkspace());
    const port = optionalNumber(context, 'port', 0, { integer: true, min: 0, max: 65535 });
    const host = optionalString(context, 'host') ?? '127.0.0.1';
    if (!/^[A-Za-z0-9.:-]+$/.test(host)) throw new InputError(`--host '${host}' is not a host name or address`);
    if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
      context.log(`warning: --host ${host} makes the interface reachable from other machines (the token still protects it)`);
    }
    const webRoot = await ensureRendererBuilt(APP_ROOT, context.log);
    const service = new StudioService({ workspace, transport: 'serve' });
    let server;
    try {
      server = await startStudioServer({ service, webRoot, host, port, log: context.log });
    } catch (error) {
      await service.close();
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new InputError(`--port ${port} is in use: choose another or leave --port out`);
      if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new InputError(`--host ${host} is not an address of this machine`);
      throw error;
    }
    // The URL is the first line on stdout (CONTRACT.md), printed at once rather than at exit.
    process.stdout.write(context.json ? `${JSON.stringify({ url: server.url })}\n` : `SSMTL Studio: open ${server.url}\n`);
    context.log(`serving workspace ${workspace}; stop with Ctrl-C`);
    await new Promise<void>((resolveStop) => {
      const stop = (signal: string) => {
        context.log(`${signal}: finishing writes and stopping…`);
        resolveStop();
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    // Jobs stop at a checkpoint first, while the server still answers: a run training in
    // the page's GPU worker sends its last checkpoint over the connection.
    await service.close();
    await server.close();
    // The URL line was this command's one JSON document; leave before the CLI prints another.
    process.exit(0);
  },
};
