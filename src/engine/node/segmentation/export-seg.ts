import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { DataSet } from 'dicom-parser';
import { InputError } from '../../../shared/errors.ts';
import type { LabelDefinition } from '../../../shared/labels.ts';
import { parseDicomBytes } from '../../../formats/dicom/parse-part10.ts';
import { readImageHeader } from '../../../formats/dicom/read-image-header.ts';
import { writeSeg, type SegSource, type SegSourceSlice, type Vec3 } from '../../../formats/dicom-seg/write-seg.ts';
import { seriesAffine, seriesPlane } from '../annotations/series-grid.ts';
import type { SeriesRecord, Workspace } from '../workspace/workspace.ts';

/**
 * A DICOM SEG for a label volume of a DICOM series: the source images' headers (still
 * where they were imported from) give the UIDs, positions and patient/study attributes
 * the SEG must repeat; the label values become segments named from the label set.
 */
export function uid(): string {
  const bytes = randomBytes(16);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  return `2.25.${BigInt('0x' + bytes.toString('hex')).toString(10)}`;
}

/** Fixed for this implementation (PS3.7 D.3.3.2): a name-based UID under 2.25. */
const IMPLEMENTATION_CLASS_UID = '2.25.152366153813213004611574316236916413089';

export function readSegSource(workspace: Workspace, series: SeriesRecord): SegSource {
  if (series.format !== 'dicom') return niftiSegSource(workspace, series);
  const rows = workspace.db
    .prepare('SELECT idx, source_file, source_frame FROM slices WHERE series_key = ? ORDER BY idx')
    .all(series.key) as { idx: number; source_file: string; source_frame: number }[];
  const parsed = new Map<string, { dataSet: DataSet; header: ReturnType<typeof readImageHeader> }>();
  const open = (file: string) => {
    let entry = parsed.get(file);
    if (!entry) {
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(file);
      } catch {
        throw new InputError(
          `the source images of series ${series.id} are needed for a DICOM SEG but ${file} is gone (export .nii.gz, or import the series again from where it is now)`,
        );
      }
      const { dataSet } = parseDicomBytes(bytes);
      entry = { dataSet, header: readImageHeader(dataSet) };
      parsed.set(file, entry);
    }
    return entry;
  };
  const slices: SegSourceSlice[] = rows.map((row) => {
    const { header } = open(row.source_file);
    const frame = header.frames[row.source_frame] ?? header.frames[0];
    if (!header.sopInstanceUid || !header.sopClassUid)
      throw new InputError(`${row.source_file} has no SOP Instance/Class UID: it cannot be referenced by a DICOM SEG`);
    if (!frame?.position) throw new InputError(`${row.source_file} has no ImagePositionPatient: a DICOM SEG cannot place its frames`);
    return {
      sopClassUid: header.sopClassUid,
      sopInstanceUid: header.sopInstanceUid,
      frameNumber: header.frames.length > 1 ? row.source_frame + 1 : null,
      position: frame.position as Vec3,
    };
  });
  const first = open(rows[0].source_file);
  const text = (tag: string) => first.dataSet.string(tag)?.trim() ?? '';
  const frame0 = first.header.frames[rows[0].source_frame] ?? first.header.frames[0];
  const orientation = frame0?.orientation;
  if (!orientation) throw new InputError(`${rows[0].source_file} has no ImageOrientationPatient: a DICOM SEG cannot be placed`);
  const frameOfReference = text('x00200052');
  if (!frameOfReference) throw new InputError(`${rows[0].source_file} has no FrameOfReferenceUID: a DICOM SEG needs one`);
  return {
    patient: {
      PatientName: text('x00100010'),
      PatientID: text('x00100020'),
      PatientBirthDate: text('x00100030'),
      PatientSex: text('x00100040'),
    },
    study: {
      StudyInstanceUID: text('x0020000d'),
      StudyDate: text('x00080020'),
      StudyTime: text('x00080030'),
      ReferringPhysicianName: text('x00080090'),
      StudyID: text('x00200010'),
      AccessionNumber: text('x00080050'),
    },
    seriesInstanceUid: first.header.seriesInstanceUid ?? series.id,
    frameOfReferenceUid: frameOfReference,
    orientation: [...orientation.row, ...orientation.column] as SegSource['orientation'],
    pixelSpacing: frame0.pixelSpacing ?? [series.spacing[1], series.spacing[0]],
    sliceThickness: first.header.sliceThickness ?? series.spacing[2],
    slices,
  };
}

/**
 * A NIfTI volume has no DICOM images, patient or study to refer to: the SEG gets a study
 * of its own and places its frames by the volume's geometry (RAS affine turned to LPS).
 */
function niftiSegSource(workspace: Workspace, series: SeriesRecord): SegSource {
  const plane = seriesPlane(workspace, series);
  if (!plane) throw new InputError(`series ${series.id} has no usable geometry for a DICOM SEG; export .nii.gz instead`);
  const { affine } = seriesAffine(series);
  const length = (c: number) => Math.hypot(affine[0][c], affine[1][c], affine[2][c]);
  const now = new Date().toISOString();
  return {
    // Values a DICOMDIR needs, so that media tools accept the file; nothing here names a person.
    patient: { PatientName: '', PatientID: series.patientId || 'UNKNOWN', PatientBirthDate: '', PatientSex: '' },
    study: {
      StudyInstanceUID: uid(),
      StudyDate: now.slice(0, 10).replace(/-/g, ''),
      StudyTime: now.slice(11, 19).replace(/:/g, ''),
      ReferringPhysicianName: '',
      StudyID: '1',
      AccessionNumber: '',
    },
    seriesInstanceUid: null,
    frameOfReferenceUid: uid(),
    orientation: [...plane.rowDirection, ...plane.columnDirection] as SegSource['orientation'],
    pixelSpacing: [length(1), length(0)],
    sliceThickness: length(2),
    slices: plane.origins.map((origin) => ({ sopClassUid: null, sopInstanceUid: null, frameNumber: null, position: origin as Vec3 })),
  };
}

export function writeSegForSeries(
  workspace: Workspace,
  series: SeriesRecord,
  labels: Uint16Array,
  segments: LabelDefinition[],
  info: { description: string; algorithm: string | null },
): Uint8Array {
  const source = readSegSource(workspace, series);
  return writeSeg({
    source,
    rows: series.rows,
    cols: series.cols,
    labels,
    segments,
    algorithm: info.algorithm,
    seriesDescription: info.description,
    seriesNumber: 900,
    uids: { series: uid(), instance: uid(), dimensionOrganization: uid(), implementationClass: IMPLEMENTATION_CLASS_UID },
    created: new Date(),
    software: { manufacturer: 'SSMTL Studio', model: 'SSMTL Studio', version: '0.1.0', deviceSerialNumber: '1' },
  });
}
