/**
 * `ssmtl serve`'s server in a process of its own, without the interface build (a
 * one-line page stands in for it): attack and load tests need a server they can watch
 * die or grow, which an in-process server cannot show. The first stdout line is
 * { url, token, scope, cookieName }; SIGTERM stops it like `serve` (service first, then server).
 * start-serve-process.ts starts it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StudioService } from '../../src/engine/node/studio/studio-service.ts';
import { startStudioServer } from '../../src/cli/serve/studio-server.ts';
import type { ConnectionLimits } from '../../src/cli/serve/websocket-api.ts';

const [workspace, webRoot, limits] = process.argv.slice(2);
if (!workspace || !webRoot) throw new Error('usage: serve-process.ts WORKSPACE WEBROOT [LIMITS_JSON]');
mkdirSync(webRoot, { recursive: true });
writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>serve-process</title>');
const service = new StudioService({ workspace, transport: 'serve' });
const server = await startStudioServer({
  service,
  webRoot,
  host: '127.0.0.1',
  port: 0,
  log: (line) => process.stderr.write(`${line}\n`),
  connectionLimits: limits ? (JSON.parse(limits) as ConnectionLimits) : undefined,
});
const { url, token, scope, cookieName } = server;
process.stdout.write(`${JSON.stringify({ url, token, scope, cookieName })}\n`);
process.once('SIGTERM', () => {
  void service
    .close()
    .then(() => server.close())
    .then(() => process.exit(0));
});
