import { readFileSync, statSync } from 'node:fs';
import type { DataSet } from 'dicom-parser';
import { errorMessage } from '../../../shared/errors.ts';
import type { ProgressListener } from '../../../shared/progress.ts';
import type { ImportResult, ImportedSeries, SkippedFile } from '../../../shared/series.ts';
import type { DicomSeries, SliceRef } from '../../../formats/dicom/group-series.ts';
import { parseDicomBytes } from '../../../formats/dicom/parse-part10.ts';
import { applyModalityLut } from '../../../formats/dicom/modality-lut.ts';
import { decodeFrame, type StoredPixels } from '../../../formats/dicom/pixel-data/decode-frame.ts';
import { readNifti } from '../../../formats/nifti/read-nifti.ts';
import type { Workspace } from '../workspace/workspace.ts';
import { storageErrorOf } from '../workspace/storage-problem.ts';
import type { PixelDtype } from '../workspace/pixel-store.ts';
import type { NiftiSource, ScanOutcome } from './scan-paths.ts';
import { fingerprintOf, storeSeries, type SliceInput } from './store-series.ts';

/**
 * Imports scanned series into a workspace (CONTRACT.md `import`), one slice in memory
 * at a time. A series already imported from the same files is left as it is; a slice
 * that cannot be decoded is left out and reported, and never stops the import.
 */
export async function importScanned(
  workspace: Workspace,
  scan: ScanOutcome,
  { only, onProgress }: { only?: Set<string>; onProgress?: ProgressListener } = {},
): Promise<ImportResult> {
  const imported: ImportedSeries[] = [];
  const skipped: SkippedFile[] = [...scan.result.skipped];
  const dicom = scan.dicom.filter((series) => !only || only.has(series.id));
  const nifti = scan.nifti.filter((source) => !only || only.has(source.series.id));
  const totalSlices = dicom.reduce((n, s) => n + s.slices.length, 0) + nifti.reduce((n, s) => n + s.series.slices, 0);
  let done = 0;
  const progress = (detail: string) => onProgress?.({ stage: 'importing', done: ++done, total: totalSlices, detail });

  for (const series of dicom) {
    const fingerprint = fingerprintOf(series.slices.map((s) => [s.path, s.frameIndex, sizeOf(s.path), s.position]));
    const existing = workspace.findSeries(series.id);
    if (existing?.fingerprint === fingerprint) {
      done += series.slices.length;
      imported.push({ id: series.id, slices: existing.slices, rows: existing.rows, cols: existing.cols });
      continue;
    }
    try {
      const slices = await storeSeries(
        workspace,
        {
          id: series.id,
          format: 'dicom',
          modality: series.modality,
          description: series.description,
          patientId: series.patientId,
          rows: series.rows,
          cols: series.cols,
          spacing: series.spacing,
          geometry: {
            kind: 'dicom',
            origin: series.origin,
            rowDirection: series.orientation?.row ?? null,
            columnDirection: series.orientation?.column ?? null,
            sliceDirection: series.sliceDirection,
          },
          photometric: series.layout.photometricInterpretation,
          files: series.files,
          warnings: series.warnings,
          fingerprint,
          dtypeHint: dicomDtypeHint(series),
        },
        decodeDicomSlices(series, skipped, progress),
      );
      if (slices > 0) imported.push({ id: series.id, slices, rows: series.rows, cols: series.cols });
    } catch (error) {
      stopIfWorkspaceUnwritable(error, workspace);
      skipped.push({ path: series.files[0], reason: `series ${series.id} could not be imported: ${errorMessage(error)}` });
    }
  }

  for (const source of nifti) {
    const fingerprint = fingerprintOf([source.path, sizeOf(source.path)]);
    const existing = workspace.findSeries(source.series.id);
    if (existing?.fingerprint === fingerprint) {
      done += source.series.slices;
      imported.push({ id: source.series.id, slices: existing.slices, rows: existing.rows, cols: existing.cols });
      continue;
    }
    try {
      const slices = await storeSeries(
        workspace,
        {
          ...source.series,
          geometry: { kind: 'nifti', affine: source.affine },
          photometric: null,
          fingerprint,
          dtypeHint: 'int16',
        },
        niftiSlices(source, progress),
      );
      imported.push({ id: source.series.id, slices, rows: source.series.rows, cols: source.series.cols });
    } catch (error) {
      stopIfWorkspaceUnwritable(error, workspace);
      skipped.push({ path: source.path, reason: `could not be imported: ${errorMessage(error)}` });
    }
  }
  return { imported, skipped };
}

/**
 * A series that failed because the workspace cannot take it (disk full, read-only) is not
 * a bad file: the next ones would fail too, so the import stops, naming the folder.
 * What was stored before stays; the failed series left nothing (storeSeries).
 */
function stopIfWorkspaceUnwritable(error: unknown, workspace: Workspace): void {
  const storage = storageErrorOf(error, workspace.dir);
  if (storage) throw storage;
}

async function* decodeDicomSlices(
  series: DicomSeries,
  skipped: SkippedFile[],
  progress: (detail: string) => void,
): AsyncGenerator<SliceInput> {
  // Consecutive slices often come from one multi-frame file: parse it once.
  let cachedPath = '';
  let cachedDataSet: DataSet | null = null;
  const values = new Float32Array(series.rows * series.cols);
  for (const slice of series.slices) {
    progress(slice.path);
    try {
      if (cachedPath !== slice.path || !cachedDataSet) {
        cachedDataSet = parseDicomBytes(readFileSync(slice.path)).dataSet;
        cachedPath = slice.path;
      }
      const stored = await decodeFrame(cachedDataSet, slice.frameIndex, series.layout);
      if (stored.length !== values.length) throw new Error(`decoded ${stored.length} pixels, expected ${values.length}`);
      const where = { position: slice.position, sourceFile: slice.path, sourceFrame: slice.frameIndex };
      if (slice.rescaleSlope === 1 && Number.isInteger(slice.rescaleIntercept) && isNarrowInteger(stored)) {
        // The usual CT and MR case: the stored integers go to the pixel file in one pass, exactly.
        yield { values: { stored, intercept: slice.rescaleIntercept }, ...where };
      } else {
        const stats = applyModalityLut(stored, slice.rescaleSlope, slice.rescaleIntercept, values);
        yield { values, stats, ...where };
      }
    } catch (error) {
      const reason = (error as { reason?: string }).reason ?? errorMessage(error);
      skipped.push({ path: slicePath(series, slice), reason: `pixel data cannot be decoded: ${reason}` });
    }
  }
}

function isNarrowInteger(stored: StoredPixels): stored is Int16Array | Uint16Array | Int8Array | Uint8Array {
  return stored instanceof Int16Array || stored instanceof Uint16Array || stored instanceof Int8Array || stored instanceof Uint8Array;
}

async function* niftiSlices(source: NiftiSource, progress: (detail: string) => void): AsyncGenerator<SliceInput> {
  const volume = readNifti(readFileSync(source.path));
  const [, , slices] = volume.dims;
  const values = new Float32Array(source.series.rows * source.series.cols);
  for (let k = 0; k < slices; k++) {
    progress(source.path);
    yield { values: volume.readSlice(k, values), position: slicePosition(volume.affine, k), sourceFile: source.path, sourceFrame: k };
  }
}

/** mm along the slice axis (the affine's third column) of slice k's first voxel, in RAS. */
function slicePosition(affine: number[][], k: number): number {
  const axis = [affine[0][2], affine[1][2], affine[2][2]];
  const length = Math.hypot(axis[0], axis[1], axis[2]) || 1;
  let position = 0;
  for (let i = 0; i < 3; i++) position += ((affine[i][3] + k * axis[i]) * axis[i]) / length;
  return position;
}

/** From the header alone: integer rescales of n-bit values give integers in a known range. */
function dicomDtypeHint(series: DicomSeries): PixelDtype {
  const { bitsStored, pixelRepresentation } = series.layout;
  const storedMin = pixelRepresentation === 1 ? -(2 ** (bitsStored - 1)) : 0;
  const storedMax = pixelRepresentation === 1 ? 2 ** (bitsStored - 1) - 1 : 2 ** bitsStored - 1;
  let integral = true;
  let min = Infinity;
  let max = -Infinity;
  for (const { rescaleSlope: slope, rescaleIntercept: intercept } of series.slices) {
    integral &&= Number.isInteger(slope) && Number.isInteger(intercept);
    min = Math.min(min, storedMin * slope + intercept, storedMax * slope + intercept);
    max = Math.max(max, storedMin * slope + intercept, storedMax * slope + intercept);
  }
  if (!integral) return 'float32';
  // Many scanners declare 16 bits and use 12: start at int16 and let store-series widen if a slice needs it.
  return min >= 0 && max > 32767 ? 'uint16' : 'int16';
}

function slicePath(series: DicomSeries, slice: SliceRef): string {
  return series.layout.numberOfFrames > 1 ? `${slice.path}#frame${slice.frameIndex + 1}` : slice.path;
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}
