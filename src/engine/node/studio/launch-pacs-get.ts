import type { JobSummary } from '../../../shared/api.ts';
import { InputError } from '../../../shared/errors.ts';
import { startPacsGetProcess } from '../jobs/job-processes.ts';
import { importJob } from './launch-import.ts';
import type { StudioSession } from './studio-session.ts';

/** Retrieves series from a configured PACS into the workspace: an import job run by its own process. */
export function launchPacsGet(session: StudioSession, name: string, seriesUids: string[]): JobSummary {
  if (seriesUids.length === 0) throw new InputError('choose at least one series to retrieve');
  const request = { workspace: session.dir, connection: session.pacs.connection(name), seriesUids };
  const title = `Retrieving ${seriesUids.length === 1 ? 'a series' : `${seriesUids.length} series`} from PACS ${name}`;
  return importJob(session, title, (onProgress) => startPacsGetProcess(request, onProgress));
}
