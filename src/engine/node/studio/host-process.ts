/**
 * The engine host for the Electron app: runs the StudioService (catalogue reads, slice
 * reads, job starts) in its own process, under a Node whose ABI matches the native
 * modules (better-sqlite3): the system Node in development, Electron's utilityProcess
 * in a packaged app (whose modules electron-builder rebuilt for Electron). Long jobs
 * run in further child processes, as under `ssmtl serve`.
 *   argv: the workspace folder
 *   in:   HostRequest   out: HostReply (events pushed as they happen)
 * Talks over process.parentPort (utilityProcess) or process.send (a Node child).
 */
import { InputError, errorMessage } from '../../../shared/errors.ts';
import type { HostReply, HostRequest } from './host-messages.ts';
import { StudioService } from './studio-service.ts';

interface ParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}
const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

function send(reply: HostReply): void {
  if (parentPort) parentPort.postMessage(reply);
  else if (process.connected) process.send?.(reply);
}

const workspace = process.argv[2];
if (!workspace) {
  process.stderr.write('engine host: no workspace folder given\n');
  process.exit(2);
}
const service = new StudioService({ workspace, transport: 'electron' });
service.onEvent((event) => send({ type: 'event', event }));

async function handle(request: HostRequest): Promise<void> {
  if (request.type === 'shutdown') {
    await service.close();
    send({ type: 'stopped' });
    setTimeout(() => process.exit(0), 50);
    return;
  }
  if (request.type === 'pixels') {
    try {
      const answer = service.readPixels(request.route);
      // Copy out of the reader's scratch buffer: the message is serialized later.
      send({
        id: request.id,
        type: 'pixels',
        bytes: answer ? answer.bytes.slice() : null,
        rows: answer?.rows ?? 0,
        cols: answer?.cols ?? 0,
      });
    } catch (error) {
      send({ id: request.id, type: 'error', message: errorMessage(error), input: false });
    }
    return;
  }
  try {
    const result = await service.call(request.method, request.params);
    send({ id: request.id, type: 'result', result: result ?? null });
  } catch (error) {
    send({ id: request.id, type: 'error', message: errorMessage(error), input: error instanceof InputError });
  }
}

if (parentPort) parentPort.on('message', (e) => void handle(e.data as HostRequest));
else {
  process.on('message', (m) => void handle(m as HostRequest));
  // Main went away (crashed, killed): stop jobs at a checkpoint and leave.
  process.on('disconnect', () => void service.close().finally(() => process.exit(0)));
}
process.on('SIGTERM', () => void handle({ type: 'shutdown' }));
send({ type: 'ready' });
