/**
 * The import job process (process/serve-job.ts): scans and imports paths, or writes and
 * imports the built-in sample, away from the serving thread, which must keep answering
 * the interface while hundreds of DICOM files are decoded. The import is atomic per
 * series, so a cancel (or a kill) at any moment leaves the workspace as it was before
 * the series in flight: a cancel ends the process at once.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../../shared/errors.ts';
import type { Progress } from '../../../shared/progress.ts';
import type { ImportResult } from '../../../shared/series.ts';
import { importScanned } from '../import/import-series.ts';
import { scanPaths } from '../import/scan-paths.ts';
import { serveJob } from '../process/serve-job.ts';
import { Workspace } from '../workspace/workspace.ts';
import type { ImportRequest } from './job-processes.ts';

/** The sample's source files live inside the workspace: nothing is written elsewhere. */
const SAMPLE_FOLDER = join('sources', 'sample');

async function runImport(request: ImportRequest, onProgress: (progress: Progress) => void): Promise<ImportResult> {
  const workspace = Workspace.open(request.workspace, { create: true });
  try {
    let paths = request.paths;
    if (request.sample) {
      const dir = join(workspace.dir, SAMPLE_FOLDER);
      if (!existsSync(dir) || readdirSync(dir).length === 0) {
        // Loaded only here: the sample's DICOM writer (dcmjs) takes a fifth of a second to load.
        const { writeSample } = await import('../../../sample/write-sample.ts');
        writeSample({ outDir: dir, onProgress: (done, total) => onProgress({ stage: 'writing the sample', done, total }) });
      }
      // Only the scans: the label volumes beside them are ground truth, not images to learn from.
      paths = readdirSync(dir)
        .map((subject) => join(dir, subject, 'dicom'))
        .filter((p) => existsSync(p));
    }
    if (paths.length === 0) throw new InputError('nothing to import: give a file or folder');
    for (const path of paths) if (!existsSync(path)) throw new InputError(`${path} does not exist`);
    const scan = scanPaths(paths, onProgress);
    return await importScanned(workspace, scan, { onProgress });
  } finally {
    workspace.close();
  }
}

serveJob<ImportRequest, Progress, ImportResult>((request, { emit }) => runImport(request, emit), { onCancel: 'exit' });
