import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { errorMessage } from '../../../shared/errors.ts';
import type { ProgressListener } from '../../../shared/progress.ts';
import type { ScanResult, ScannedSeries, SkippedFile } from '../../../shared/series.ts';
import { groupIntoSeries, type DicomSeries, type ScannedImage } from '../../../formats/dicom/group-series.ts';
import { assertDicomStart, NotDicomError, parseDicomBytes, parseDicomHeader } from '../../../formats/dicom/parse-part10.ts';
import { isDicomdir, referencedFiles } from '../../../formats/dicom/read-dicomdir.ts';
import { readImageHeader, UnusableImageError } from '../../../formats/dicom/read-image-header.ts';
import { NIFTI_INTENT_LABEL, NiftiError, readNifti, type NiftiVolume } from '../../../formats/nifti/read-nifti.ts';
import { findFiles } from './find-files.ts';

/** A NIfTI file found by a scan; its voxels are read again at import. */
export interface NiftiSource {
  path: string;
  series: ScannedSeries;
  affine: number[][];
}

export interface ScanOutcome {
  result: ScanResult;
  dicom: DicomSeries[];
  nifti: NiftiSource[];
}

const NIFTI_NAME = /\.nii(\.gz)?$/i;

/**
 * Finds image series under files and folders (CONTRACT.md `scan`). Reads each file
 * once, keeps only its header, and never stops on a bad file: every file read ends up
 * in a series or in `skipped` with a reason.
 */
export function scanPaths(paths: string[], onProgress?: ProgressListener): ScanOutcome {
  const found = findFiles(paths);
  const queue = [...found.files];
  const queued = new Set(queue);
  const skipped: SkippedFile[] = [...found.skipped];
  const images: ScannedImage[] = [];
  const nifti: NiftiSource[] = [];

  for (let i = 0; i < queue.length; i++) {
    const path = queue[i];
    onProgress?.({ stage: 'reading headers', done: i, total: queue.length, detail: path });
    let bytes: Uint8Array;
    let fileSize: number;
    try {
      ({ bytes, fileSize } = readHead(path, NIFTI_NAME.test(path)));
    } catch (error) {
      skipped.push({ path, reason: `cannot be read (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)})` });
      continue;
    }
    if (NIFTI_NAME.test(path)) {
      try {
        const volume = readNifti(bytes);
        if (volume.intentCode === NIFTI_INTENT_LABEL) {
          skipped.push({
            path,
            reason: 'NIfTI label volume (intent NIFTI_INTENT_LABEL), not a scan: use `ssmtl annotations import --labels`',
          });
        } else nifti.push(describeNifti(path, volume));
      } catch (error) {
        skipped.push({ path, reason: error instanceof NiftiError ? error.reason : `unreadable NIfTI (${errorMessage(error)})` });
      }
      continue;
    }
    try {
      const header = bytes.length < fileSize ? parseDicomHeader(bytes) : null;
      if (header) {
        images.push({ path, header: readImageHeader(header, { fileSize }) });
        continue;
      }
      // Only what could be DICOM is read whole: a stray video or disk image is not.
      assertDicomStart(bytes, fileSize);
      if (bytes.length < fileSize) bytes = readFileSync(path);
      const { dataSet, truncated } = parseDicomBytes(bytes);
      if (isDicomdir(dataSet)) {
        const references = referencedFiles(dataSet);
        const listed = references.files.map((relative) => resolveCaseInsensitive(dirname(path), relative));
        let added = 0;
        for (const file of listed) {
          if (!existsSync(file)) skipped.push({ path: file, reason: `listed in DICOMDIR ${path} but missing` });
          else if (!queued.has(file)) {
            queue.push(file);
            queued.add(file);
            added++;
          }
        }
        const refused = references.refused.length
          ? `; ${references.refused.length} reference(s) that are no file inside its folder ignored (${references.refused.slice(0, 3).join(', ')})`
          : '';
        skipped.push({
          path,
          reason: `DICOMDIR: a directory index listing ${listed.length} file(s), which are read directly${added ? ` (${added} found only through it)` : ''}${refused}`,
        });
        continue;
      }
      images.push({ path, header: readImageHeader(dataSet, { truncated }) });
    } catch (error) {
      if (error instanceof NotDicomError || error instanceof UnusableImageError) skipped.push({ path, reason: error.reason });
      // dicom-parser throws plain strings when an element runs past the end of the bytes.
      else
        skipped.push({
          path,
          reason: `truncated or corrupt DICOM (${errorMessage(error).replace(/^dicomParser[.:][A-Za-z0-9.]*:\s*/, '')})`,
        });
    }
  }
  onProgress?.({ stage: 'reading headers', done: queue.length, total: queue.length });

  const grouped = groupIntoSeries(images);
  skipped.push(...grouped.skipped);
  const series = [...grouped.series.map(describeDicom), ...nifti.map((source) => source.series)];
  return { result: { series, skipped }, dicom: grouped.series, nifti };
}

/** A native DICOM file's header fits in its first bytes; reading only those makes a scan of large series cheap. */
const HEAD_BYTES = 64 * 1024;

function readHead(path: string, whole: boolean): { bytes: Uint8Array; fileSize: number } {
  const fd = openSync(path, 'r');
  try {
    const fileSize = fstatSync(fd).size;
    if (whole || fileSize <= 2 * HEAD_BYTES) return { bytes: readFileSync(fd), fileSize };
    const head = new Uint8Array(HEAD_BYTES);
    const got = readSync(fd, head, 0, HEAD_BYTES, 0);
    return { bytes: head.subarray(0, got), fileSize };
  } finally {
    closeSync(fd);
  }
}

function describeDicom(series: DicomSeries): ScannedSeries {
  return {
    id: series.id,
    format: 'dicom',
    modality: series.modality,
    description: series.description,
    patientId: series.patientId,
    slices: series.slices.length,
    rows: series.rows,
    cols: series.cols,
    spacing: series.spacing,
    files: series.files,
    warnings: series.warnings,
  };
}

function describeNifti(path: string, volume: NiftiVolume): NiftiSource {
  const [cols, rows, slices] = volume.dims;
  return {
    path,
    affine: volume.affine,
    series: {
      id: path,
      format: 'nifti',
      modality: null,
      description: volume.description,
      patientId: null,
      slices,
      rows,
      cols,
      spacing: volume.spacing,
      files: [path],
      warnings: volume.warnings,
    },
  };
}

/** DICOMDIR file IDs are often upper case while the files on a Linux disk are not. */
function resolveCaseInsensitive(base: string, relative: string): string {
  let current = base;
  for (const part of relative.split('/')) {
    const exact = join(current, part);
    if (existsSync(exact)) {
      current = exact;
      continue;
    }
    let match: string | undefined;
    try {
      match = readdirSync(current).find((name) => name.toLowerCase() === part.toLowerCase());
    } catch {
      match = undefined;
    }
    current = join(current, match ?? part);
  }
  return resolve(current);
}
