/**
 * The engine host for the Electron app: runs the StudioService (catalogue reads, slice
 * reads, job starts) in its own process, under a Node whose ABI matches the native
 * modules (better-sqlite3): the system Node in development, Electron's utilityProcess
 * in a packaged app (whose modules electron-builder rebuilt for Electron). Long jobs
 * run in further child processes, as under `ssmtl serve`.
 *   argv: the workspace folder
 *   in:   HostRequest   out: HostReply (events pushed as they happen)
 * The line to main is process/parent-link.ts (parentPort or process.send).
 */
import { InputError, errorMessage } from '../../../shared/errors.ts';
import { connectToParent } from '../process/parent-link.ts';
import type { HostReply, HostRequest } from './host-messages.ts';
import { StudioService } from './studio-service.ts';

const workspace = process.argv[2];
if (!workspace) {
  process.stderr.write('engine host: no workspace folder given\n');
  process.exit(2);
}
const main = connectToParent<HostRequest, HostReply>();
const service = new StudioService({ workspace, transport: 'electron' });
service.onEvent((event) => void main.send({ type: 'event', event }));

let stopping: Promise<void> | null = null;
/** Stops jobs at a checkpoint, closes the catalogue, says so, and leaves once that was sent. */
function shutdown(): Promise<void> {
  stopping ??= service
    .close()
    .then(() => main.send({ type: 'stopped' }))
    .finally(() => process.exit(0));
  return stopping;
}

async function handle(request: HostRequest): Promise<void> {
  if (request.type === 'shutdown') return shutdown();
  if (request.type === 'pixels') {
    try {
      const answer = service.readPixels(request.route);
      // Copy out of the reader's scratch buffer: the message is serialized later.
      await main.send({
        id: request.id,
        type: 'pixels',
        bytes: answer ? answer.bytes.slice() : null,
        rows: answer?.rows ?? 0,
        cols: answer?.cols ?? 0,
      });
    } catch (error) {
      await main.send({ id: request.id, type: 'error', message: errorMessage(error), input: false });
    }
    return;
  }
  try {
    const result = await service.call(request.method, request.params);
    await main.send({ id: request.id, type: 'result', result: result ?? null });
  } catch (error) {
    await main.send({ id: request.id, type: 'error', message: errorMessage(error), input: error instanceof InputError });
  }
}

main.onMessage((request) => void handle(request));
// Main went away (crashed, killed): stop jobs at a checkpoint and leave.
main.onGone(() => void shutdown());
process.on('SIGTERM', () => void shutdown());
void main.send({ type: 'ready' });
