import { resolve } from 'node:path';
import { InputError } from '../../../shared/errors.ts';
import type { LabelDefinition } from '../../../shared/labels.ts';
import { itkSnapLabelTable, labelTablePath } from '../../../formats/nifti/label-table.ts';
import { writeNifti } from '../../../formats/nifti/write-nifti.ts';
import { writeFileAtomically } from '../atomic-file.ts';
import { seriesAffine } from '../annotations/series-grid.ts';
import type { SeriesRecord, Workspace } from '../workspace/workspace.ts';
import { writeSegForSeries } from './export-seg.ts';

/**
 * Writes a label volume of a series (slices × rows × cols, slice-major) to `out`:
 * `.nii` / `.nii.gz` as NIfTI-1 on the series' grid (the source NIfTI's affine, or the
 * DICOM geometry turned from LPS to RAS) with the labels' names and colours in a label
 * table beside it, `.dcm` as a DICOM Segmentation referencing the source series (its
 * segments carry the names and colours).
 */
export type ExportFormat = 'nifti' | 'nifti-gz' | 'dicom-seg';

export function exportFormatOf(out: string): ExportFormat {
  const lower = out.toLowerCase();
  if (lower.endsWith('.nii.gz')) return 'nifti-gz';
  if (lower.endsWith('.nii')) return 'nifti';
  if (lower.endsWith('.dcm')) return 'dicom-seg';
  throw new InputError(`--out ${out}: the name must end in .nii, .nii.gz (NIfTI) or .dcm (DICOM SEG)`);
}

export function niftiBytes(series: SeriesRecord, labels: Uint16Array, gzip: boolean, description: string): Uint8Array {
  const { affine } = seriesAffine(series);
  // pixdim must equal the affine's column lengths; a NIfTI source's sform may differ from its pixdim in the last digits.
  const pixdim = [0, 1, 2].map((c) => Math.hypot(affine[0][c], affine[1][c], affine[2][c])) as [number, number, number];
  return writeNifti({ data: labels, dims: [series.cols, series.rows, series.slices], pixdim, affine, description, intent: 'label', gzip });
}

export function exportLabels(
  workspace: Workspace,
  series: SeriesRecord,
  labels: Uint16Array,
  segments: LabelDefinition[],
  out: string,
  info: { description: string; algorithm: string | null },
): string {
  const path = resolve(out);
  const format = exportFormatOf(path);
  const bytes =
    format === 'dicom-seg'
      ? writeSegForSeries(workspace, series, labels, segments, info)
      : niftiBytes(series, labels, format === 'nifti-gz', info.description);
  try {
    writeFileAtomically(path, bytes);
    if (format !== 'dicom-seg') writeFileAtomically(labelTablePath(path), Buffer.from(itkSnapLabelTable(segments)));
  } catch (error) {
    throw new InputError(`--out ${out}: cannot write (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return path;
}
