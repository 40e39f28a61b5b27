import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../../shared/errors.ts';
import type { ProgressListener } from '../../../shared/progress.ts';
import type { ImportResult } from '../../../shared/series.ts';
import { isValidUid } from '../../../shared/pacs.ts';
import { importScanned } from '../import/import-series.ts';
import { scanPaths } from '../import/scan-paths.ts';
import { seriesFolder } from '../import/store-series.ts';
import { Workspace } from '../workspace/workspace.ts';
import { PacsError } from './pacs-error.ts';
import type { PacsPeer, SeriesRecord } from './pacs-peer.ts';

/** Where retrieved series live: inside the workspace, like the built-in sample's sources. */
export const PACS_SOURCES = join('sources', 'pacs');

/**
 * `pacs get`: retrieves whole series into the workspace and imports them through the
 * same path as a folder (same checks, warnings and skipped list). Every series is first
 * received into a staging folder inside the workspace; only when all of them arrived
 * whole do they move into place and get imported. A transfer that fails or is cancelled
 * removes what it received, so the workspace is as it was (a workspace this call
 * created is removed again).
 */
export async function retrieveIntoWorkspace(
  workspaceDir: string,
  peer: PacsPeer,
  seriesUids: string[],
  { onProgress, signal }: { onProgress?: ProgressListener; signal?: AbortSignal } = {},
): Promise<ImportResult> {
  if (seriesUids.length === 0) throw new InputError('--series: give at least one Series Instance UID to retrieve');
  for (const uid of seriesUids) if (!isValidUid(uid)) throw new InputError(`--series ${uid} is not a DICOM UID (digits and dots)`);

  // Locate each series first: a wrong UID fails before anything is written.
  const targets: SeriesRecord[] = [];
  for (const uid of new Set(seriesUids)) {
    onProgress?.({ stage: 'locating series', done: targets.length, total: seriesUids.length, detail: uid });
    const found = (await peer.searchSeries(null, uid, signal)).find((s) => s.seriesUid === uid);
    if (!found?.studyUid) throw new PacsError(`the PACS at ${peer.label} has no series ${uid}`, false);
    targets.push(found);
  }

  const existed = existsSync(join(workspaceDir, 'catalogue.sqlite'));
  const workspace = Workspace.open(workspaceDir, { create: true });
  // The folders this call creates, to remove again if nothing arrives.
  const created = [join(workspace.dir, 'sources'), join(workspace.dir, PACS_SOURCES)].filter((folder) => !existsSync(folder));
  removeAbandonedStaging(join(workspace.dir, PACS_SOURCES));
  const staging = join(workspace.dir, PACS_SOURCES, `.incoming-${process.pid}-${randomBytes(6).toString('hex')}`);
  const received: { target: SeriesRecord; folder: string }[] = [];
  try {
    for (const target of targets) {
      const folder = join(staging, String(received.length));
      mkdirSync(folder, { recursive: true });
      const count = await peer.retrieveSeries(target, folder, {
        signal,
        onInstance: (done, total) =>
          onProgress?.({
            stage: `receiving ${target.modality ? `${target.modality} ` : ''}series`,
            done,
            total: total ?? done,
            detail: target.seriesUid,
          }),
      });
      if (target.instances !== null && count < target.instances) {
        throw new PacsError(
          `the PACS at ${peer.label} sent ${count} of the ${target.instances} images of series ${target.seriesUid}`,
          true,
        );
      }
      received.push({ target, folder });
    }
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    workspace.close();
    if (!existed) rmSync(workspace.dir, { recursive: true, force: true });
    else for (const folder of created.reverse()) removeIfEmpty(folder);
    throw error;
  }

  try {
    const folders = received.map(({ target, folder }) => moveIntoPlace(workspace, target.seriesUid, folder));
    rmSync(staging, { recursive: true, force: true });
    const scan = scanPaths(folders, onProgress);
    return await importScanned(workspace, scan, { onProgress });
  } finally {
    workspace.close();
  }
}

/**
 * `sources/pacs/<hash of the UID>`: a series retrieved again replaces its folder. Files are
 * named by SOP Instance UID, so slices already imported keep pointing at files that exist.
 */
function moveIntoPlace(workspace: Workspace, seriesUid: string, received: string): string {
  const final = join(workspace.dir, PACS_SOURCES, seriesFolder(seriesUid).replace(/^series[\\/]/, ''));
  if (existsSync(final)) {
    const previous = `${final}.replaced-${randomBytes(4).toString('hex')}`;
    renameSync(final, previous);
    renameSync(received, final);
    rmSync(previous, { recursive: true, force: true });
  } else renameSync(received, final);
  return final;
}

/** What a killed retrieval left behind: staging folders of processes that no longer run. */
function removeAbandonedStaging(folder: string): void {
  if (!existsSync(folder)) return;
  for (const name of readdirSync(folder)) {
    const pid = Number(/^\.incoming-(\d+)-/.exec(name)?.[1]);
    if (pid && !isRunning(pid)) rmSync(join(folder, name), { recursive: true, force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function removeIfEmpty(folder: string): void {
  try {
    if (readdirSync(folder).length === 0) rmSync(folder, { recursive: true });
  } catch {
    // not there: nothing to tidy
  }
}
