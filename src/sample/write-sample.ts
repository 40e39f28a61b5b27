/**
 * Writes the built-in sample to disk as real DICOM CT series plus NIfTI ground truth,
 * so that it enters the app through the same scan/import path as a hospital's data.
 *
 * Layout under outDir, per subject (SAMPLE-01, SAMPLE-02, …):
 *   SAMPLE-01/dicom/IM00001.dcm …   one CT Image Storage file per slice, slice 1 lowest
 *   SAMPLE-01/labels.nii.gz         MM-WHS label values on the same grid
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dcmjs from 'dcmjs';
import { lpsGeometryToRasAffine } from '../formats/nifti/affine.ts';
import { writeNifti } from '../formats/nifti/write-nifti.ts';
import { generateSubject, type SubjectVolume } from './phantom.ts';

export interface WriteSampleOptions {
  outDir: string;
  subjects?: number;
  slices?: number;
  size?: number;
  seed?: number;
  /** called after each written file (DICOM slices and label volumes) */
  onProgress?: (done: number, total: number) => void;
}

export interface SampleSeries {
  /** 0-based */
  subject: number;
  patientId: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
  dicomDir: string;
  labelsPath: string;
  /** DICOM files, slice 0 (lowest) first */
  files: string[];
  rows: number;
  cols: number;
  slices: number;
  spacing: [number, number, number];
}

export interface WriteSampleResult {
  series: SampleSeries[];
}

export const SAMPLE_SERIES_DESCRIPTION = 'SSMTL sample thorax CT (synthetic)';
const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
/** RFC 4122 namespace for this project's sample UIDs; changing it changes every UID. */
const SAMPLE_UUID_NAMESPACE = 'a0a6d326-f2a9-4d79-bf07-448ef8132df8';
/** Stored values are HU + 1024, in 12 bits, the way most CT scanners write them. */
const RESCALE_INTERCEPT = -1024;

interface DcmjsData {
  DicomDict: new (meta: Record<string, unknown>) => { dict: Record<string, unknown>; write(): ArrayBuffer };
  DicomMetaDictionary: { denaturalizeDataset(dataset: Record<string, unknown>): Record<string, unknown> };
}
const { DicomDict, DicomMetaDictionary } = (dcmjs as { data: DcmjsData }).data;

/**
 * A DICOM UID under 2.25 (PS3.5 §B.2) from a name-based (version 5, SHA-1) UUID, so the
 * same seed always gives the same UIDs and different sample grids never collide.
 */
export function sampleUid(name: string): string {
  const namespace = Buffer.from(SAMPLE_UUID_NAMESPACE.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(namespace).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  return `2.25.${BigInt('0x' + bytes.toString('hex')).toString(10)}`;
}

/** DS is text of at most 16 characters; the phantom's numbers are rounded to fit. */
function decimalString(value: number): string {
  const text = String(Number(value.toFixed(6)));
  if (text.length > 16) throw new RangeError(`value ${value} does not fit a DICOM DS (16 characters)`);
  return text;
}

export function writeSample(options: WriteSampleOptions): WriteSampleResult {
  const { outDir, subjects = 4, slices = 64, size = 128, seed = 0, onProgress } = options;
  const total = subjects * (slices + 1);
  let done = 0;
  const series: SampleSeries[] = [];
  for (let subject = 0; subject < subjects; subject++) {
    const volume = generateSubject({ seed, size, slices, subject });
    const patientId = `SAMPLE-${String(subject + 1).padStart(2, '0')}`;
    const subjectDir = join(outDir, patientId);
    const dicomDir = join(subjectDir, 'dicom');
    mkdirSync(dicomDir, { recursive: true });
    // A rerun with fewer slices must not leave slices of the last one behind; only our own names go.
    for (const name of readdirSync(dicomDir)) if (/^IM\d{5}\.dcm$/.test(name)) rmSync(join(dicomDir, name));
    const key = `ssmtl-sample/v1/seed=${seed}/size=${size}/slices=${slices}/subject=${subject}`;
    const uids = {
      study: sampleUid(`${key}/study`),
      series: sampleUid(`${key}/series`),
      frameOfReference: sampleUid(`${key}/frame-of-reference`),
    };
    const files: string[] = [];
    for (let k = 0; k < volume.slices; k++) {
      const path = join(dicomDir, `IM${String(k + 1).padStart(5, '0')}.dcm`);
      writeAtomically(path, dicomSlice(volume, k, { subject, seed, patientId, key, uids }));
      files.push(path);
      onProgress?.(++done, total);
    }
    const labelsPath = join(subjectDir, 'labels.nii.gz');
    writeAtomically(labelsPath, labelsNifti(volume, patientId));
    onProgress?.(++done, total);
    series.push({
      subject,
      patientId,
      seriesInstanceUid: uids.series,
      studyInstanceUid: uids.study,
      dicomDir,
      labelsPath,
      files,
      rows: volume.rows,
      cols: volume.cols,
      slices: volume.slices,
      spacing: volume.spacing,
    });
  }
  return { series };
}

function writeAtomically(path: string, bytes: Uint8Array): void {
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, bytes);
  renameSync(temporary, path);
}

/** The label volume with the affine of the DICOM series it belongs to. */
export function labelsNifti(volume: SubjectVolume, patientId: string): Uint8Array {
  const affine = lpsGeometryToRasAffine({
    origin: volume.origin,
    rowDirection: [1, 0, 0],
    columnDirection: [0, 1, 0],
    sliceDirection: [0, 0, 1],
    spacing: volume.spacing,
  });
  return writeNifti({
    data: volume.labels,
    dims: [volume.cols, volume.rows, volume.slices],
    pixdim: volume.spacing,
    affine,
    description: `SSMTL sample ${patientId} labels (MM-WHS values)`,
    intent: 'label',
    gzip: true,
  });
}

interface SliceContext {
  subject: number;
  seed: number;
  patientId: string;
  key: string;
  uids: { study: string; series: string; frameOfReference: string };
}

function dicomSlice(volume: SubjectVolume, k: number, context: SliceContext): Uint8Array {
  const { rows, cols, spacing, origin } = volume;
  const plane = rows * cols;
  const stored = new Uint16Array(plane);
  for (let p = 0; p < plane; p++) stored[p] = volume.hu[k * plane + p] - RESCALE_INTERCEPT;
  const z = origin[2] + k * spacing[2];
  const sopInstanceUid = sampleUid(`${context.key}/instance=${k}`);
  // Fixed, made-up dates: real ones would make the bytes depend on the day of writing.
  const day = new Date(Date.UTC(2024, 0, 8 + 7 * context.subject));
  const date = day.toISOString().slice(0, 10).replace(/-/g, '');
  const time = `0${9 + (context.subject % 8)}0000`.slice(-6);

  const dataset: Record<string, unknown> = {
    ImageType: ['DERIVED', 'SECONDARY', 'AXIAL'],
    SOPClassUID: CT_IMAGE_STORAGE,
    SOPInstanceUID: sopInstanceUid,
    StudyDate: date,
    SeriesDate: date,
    AcquisitionDate: date,
    ContentDate: date,
    StudyTime: time,
    SeriesTime: time,
    AcquisitionTime: time,
    ContentTime: time,
    AccessionNumber: '',
    Modality: 'CT',
    Manufacturer: 'SSMTL Studio',
    ReferringPhysicianName: '',
    StudyDescription: 'SSMTL sample thorax CTA',
    SeriesDescription: SAMPLE_SERIES_DESCRIPTION,
    ManufacturerModelName: 'Procedural phantom',
    DerivationDescription: `Synthetic image generated by SSMTL Studio (seed ${context.seed}, subject ${context.subject})`,
    // Family^Given: a name without a caret is the retired PN form.
    PatientName: `${context.patientId}^Synthetic`,
    PatientID: context.patientId,
    PatientBirthDate: '',
    PatientSex: 'O',
    BodyPartExamined: 'CHEST',
    SliceThickness: decimalString(spacing[2]),
    KVP: '120',
    SoftwareVersions: 'SSMTL Studio sample v1',
    PatientPosition: 'HFS',
    StudyInstanceUID: context.uids.study,
    SeriesInstanceUID: context.uids.series,
    StudyID: '1',
    SeriesNumber: '1',
    AcquisitionNumber: '1',
    InstanceNumber: String(k + 1),
    ImagePositionPatient: [origin[0], origin[1], z].map(decimalString),
    ImageOrientationPatient: ['1', '0', '0', '0', '1', '0'],
    FrameOfReferenceUID: context.uids.frameOfReference,
    PositionReferenceIndicator: '',
    SliceLocation: decimalString(z),
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: rows,
    Columns: cols,
    // DICOM's order: spacing between rows, then between columns.
    PixelSpacing: [decimalString(spacing[1]), decimalString(spacing[0])],
    BitsAllocated: 16,
    BitsStored: 12,
    HighBit: 11,
    PixelRepresentation: 0,
    WindowCenter: ['100', '-600'],
    WindowWidth: ['700', '1500'],
    WindowCenterWidthExplanation: ['CTA', 'LUNG'],
    RescaleIntercept: String(RESCALE_INTERCEPT),
    RescaleSlope: '1',
    RescaleType: 'HU',
    PixelData: stored.buffer,
    _vrMap: { PixelData: 'OW' },
  };
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: CT_IMAGE_STORAGE,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: sampleUid('ssmtl-studio/implementation'),
    ImplementationVersionName: 'SSMTL_STUDIO_01',
  };
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return new Uint8Array(dict.write());
}
