import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { JobSummary } from '../../../shared/api.ts';
import { InputError } from '../../../shared/errors.ts';
import type { Progress } from '../../../shared/progress.ts';
import type { ImportResult } from '../../../shared/series.ts';
import { startImportProcess } from '../jobs/job-processes.ts';
import type { JobProcess } from '../process/start-job-process.ts';
import { importDone, importProgress } from './job-progress.ts';
import { launchJob } from './launch-job.ts';
import type { StudioSession } from './studio-session.ts';

/** Imports files and folders typed or chosen in the interface, in the import process. */
export function launchImport(session: StudioSession, paths: string[]): JobSummary {
  if (paths.length === 0) throw new InputError('give at least one file or folder to import');
  const absolute = paths.map((p) => resolve(p.trim()));
  for (const path of absolute)
    if (!existsSync(path)) throw new InputError(`nothing at ${path}: check the folder's path (the full path on this computer)`);
  const title = `Importing ${absolute.length === 1 ? absolute[0] : `${absolute.length} paths`}`;
  return importJob(session, title, (onProgress) =>
    startImportProcess({ workspace: session.dir, paths: absolute, sample: false }, onProgress),
  );
}

/** Writes the built-in sample into the workspace and imports its scans. */
export function launchImportSample(session: StudioSession): JobSummary {
  const title = 'Importing the built-in sample (synthetic chest CT)';
  return importJob(session, title, (onProgress) => startImportProcess({ workspace: session.dir, paths: [], sample: true }, onProgress));
}

/** An import job: a folder, the sample, or series retrieved from a PACS (launch-pacs-get.ts), each in its own process. */
export function importJob(
  session: StudioSession,
  title: string,
  start: (onProgress: (progress: Progress) => void) => JobProcess<ImportResult>,
): JobSummary {
  return launchJob<ImportResult>(session, { kind: 'import', title }, (progress) => {
    const handle = start((p) => progress(importProgress(p)));
    return {
      result: handle.result,
      controls: { cancel: () => handle.cancel() },
      changes: 'series-changed',
      done: (result) => {
        // A re-imported series has a new pixel file: the open reader must let go of the old one.
        const workspace = session.workspaceOrNull();
        for (const series of result.imported) workspace?.releaseSeries(series.id);
        return importDone(result);
      },
    };
  });
}
