import { readFileSync, rmSync } from 'node:fs';
import { InputError } from '../../../shared/errors.ts';
import type { PacsStoreResult } from '../../../shared/pacs.ts';
import { parseDicomBytes } from '../../../formats/dicom/parse-part10.ts';
import { exportToWorkspace } from '../segmentation/export-request.ts';
import { requireSegmentationModel } from '../segmentation/segmentation-model.ts';
import { Workspace } from '../workspace/workspace.ts';
import type { PacsPeer } from './pacs-peer.ts';

/**
 * `pacs store`: the DICOM SEG of a model's stored prediction for a series (the same file
 * Export writes, referencing the source series' images), sent to the PACS. The copy
 * stays in the workspace's `exports/` folder as the record of what was sent; when the
 * PACS does not confirm, the copy is removed and the error says why.
 */
export async function storeSegmentation(
  workspaceDir: string,
  peer: PacsPeer,
  { model, seriesId }: { model: string; seriesId: string },
  signal?: AbortSignal,
): Promise<PacsStoreResult> {
  const workspace = Workspace.open(workspaceDir, { create: false });
  let file: string;
  try {
    const series = workspace.requireSeries(seriesId);
    if (series.format !== 'dicom') {
      throw new InputError(
        `series ${seriesId} is a NIfTI volume: its SEG would reference no image on the PACS (export it to a file instead)`,
      );
    }
    requireSegmentationModel(workspace, model);
    file = exportToWorkspace(workspace, { seriesId, model, format: 'dicom-seg' }).path;
  } finally {
    workspace.close();
  }
  const { dataSet } = parseDicomBytes(readFileSync(file));
  const text = (tag: string) => dataSet.string(tag)?.trim() ?? '';
  const object = {
    sopClassUid: text('x00080016'),
    sopInstanceUid: text('x00080018'),
    seriesUid: text('x0020000e'),
    studyUid: text('x0020000d'),
    transferSyntaxUid: text('x00020010'),
  };
  try {
    await peer.store(file, object, signal);
  } catch (error) {
    rmSync(file, { force: true });
    throw error;
  }
  return { stored: { sopInstanceUid: object.sopInstanceUid, seriesUid: object.seriesUid, studyUid: object.studyUid }, file };
}
