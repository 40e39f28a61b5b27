/**
 * The import process: scans and imports paths (or writes and imports the built-in
 * sample) away from the serving thread, which must keep answering the interface while
 * hundreds of DICOM files are decoded. Started by import-process.ts; talks over
 * process.send:
 *   in:  ImportRequest, then optionally { type: 'cancel' }
 *   out: ImportMessage, ending with 'done' or 'failed'
 * A kill at any moment leaves the workspace as it was before the series in flight
 * (the import itself is atomic per series).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, errorMessage } from '../../../shared/errors.ts';
import { writeSample } from '../../../sample/write-sample.ts';
import { importScanned } from '../import/import-series.ts';
import { scanPaths } from '../import/scan-paths.ts';
import { Workspace } from '../workspace/workspace.ts';
import type { ImportMessage, ImportRequest } from './import-messages.ts';

/** The sample's source files live inside the workspace: nothing is written elsewhere. */
export const SAMPLE_FOLDER = join('sources', 'sample');

function send(message: ImportMessage): void {
  if (process.connected) process.send?.(message);
}

async function run(request: ImportRequest): Promise<void> {
  const workspace = Workspace.open(request.workspace, { create: true });
  try {
    let paths = request.paths;
    if (request.sample) {
      const dir = join(workspace.dir, SAMPLE_FOLDER);
      if (!existsSync(dir) || readdirSync(dir).length === 0) {
        writeSample({
          outDir: dir,
          onProgress: (done, total) => send({ type: 'progress', progress: { stage: 'writing the sample', done, total } }),
        });
      }
      // Only the scans: the label volumes beside them are ground truth, not images to learn from.
      paths = readdirSync(dir)
        .map((subject) => join(dir, subject, 'dicom'))
        .filter((p) => existsSync(p));
    }
    if (paths.length === 0) throw new InputError('nothing to import: give a file or folder');
    for (const path of paths) if (!existsSync(path)) throw new InputError(`${path} does not exist`);
    const scan = scanPaths(paths, (progress) => send({ type: 'progress', progress }));
    const result = await importScanned(workspace, scan, { onProgress: (progress) => send({ type: 'progress', progress }) });
    send({ type: 'done', result });
  } finally {
    workspace.close();
  }
}

process.on('message', (message: ImportRequest | { type: 'cancel' }) => {
  if (message.type === 'cancel') process.exit(130);
  run(message)
    .catch((error: unknown) =>
      send({ type: 'failed', kind: error instanceof InputError ? 'input' : 'internal', message: errorMessage(error) }),
    )
    .finally(() => setTimeout(() => process.exit(0), 50));
});
process.on('disconnect', () => process.exit(0));
