/**
 * The PACS retrieval job process (process/serve-job.ts): retrieves series from a PACS
 * into the workspace and imports them, away from the serving thread. Unlike a folder
 * import, a cancel does not end the process at once: it stops the transfer, which
 * removes what had arrived (the workspace is left as it was), and then answers
 * 'cancelled'. The connection, secret included, arrives over IPC and is written nowhere.
 */
import type { Progress } from '../../../shared/progress.ts';
import type { ImportResult } from '../../../shared/series.ts';
import { openPeer } from '../pacs/open-peer.ts';
import { PacsCancelled } from '../pacs/pacs-error.ts';
import { retrieveIntoWorkspace } from '../pacs/retrieve-into-workspace.ts';
import { JobFailedError } from '../process/job-failed-error.ts';
import { serveJob, type JobIo } from '../process/serve-job.ts';
import type { PacsGetRequest } from './job-processes.ts';

async function runPacsGet(request: PacsGetRequest, { emit, control }: JobIo<Progress>): Promise<ImportResult> {
  const cancelled = new AbortController();
  const unsubscribe = control.onCommand((command) => {
    if (command === 'cancel') cancelled.abort();
  });
  try {
    const peer = await openPeer(request.connection);
    return await retrieveIntoWorkspace(request.workspace, peer, request.seriesUids, { signal: cancelled.signal, onProgress: emit });
  } catch (error) {
    if (error instanceof PacsCancelled) throw new JobFailedError('cancelled', 'cancelled');
    throw error;
  } finally {
    unsubscribe();
  }
}

serveJob<PacsGetRequest, Progress, ImportResult>(runPacsGet, { onCancel: 'stop' });
