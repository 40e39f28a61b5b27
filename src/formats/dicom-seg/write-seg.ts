/**
 * Writes a DICOM Segmentation object (PS3.3 A.51, BINARY) for a label volume on a DICOM
 * series' grid, encoded by dcmjs. One segment per label value; one frame per (segment,
 * slice) where the segment is present; each frame references the source image it was
 * derived from, and the Common Instance Reference module lists the source series, so
 * viewers place it on the right images. Images that are not DICOM (a NIfTI volume) have
 * nothing to reference: frames are then placed by position and orientation alone.
 * Pure: values in, bytes out.
 */
import dcmjs from 'dcmjs';
import { rgbToDicomLab, segmentCodes } from './segment-codes.ts';

export type Vec3 = [number, number, number];

export interface SegSourceSlice {
  /** null when the images are not DICOM (a NIfTI volume): the frame is placed by position only */
  sopClassUid: string | null;
  sopInstanceUid: string | null;
  /** 1-based frame of a multi-frame source image; null for single-frame images */
  frameNumber: number | null;
  /** ImagePositionPatient of the slice */
  position: Vec3;
}

/** What a SEG copies from the images it segments (Patient, General Study, Frame of Reference). */
export interface SegSource {
  patient: { PatientName: string; PatientID: string; PatientBirthDate: string; PatientSex: string };
  study: {
    StudyInstanceUID: string;
    StudyDate: string;
    StudyTime: string;
    ReferringPhysicianName: string;
    StudyID: string;
    AccessionNumber: string;
  };
  /** null when the images are not DICOM */
  seriesInstanceUid: string | null;
  frameOfReferenceUid: string;
  /** ImageOrientationPatient: row direction then column direction */
  orientation: [number, number, number, number, number, number];
  /** PixelSpacing as DICOM orders it: [between rows, between columns] mm */
  pixelSpacing: [number, number];
  sliceThickness: number;
  /** in the series' slice order */
  slices: SegSourceSlice[];
}

export interface SegSegmentInput {
  value: number;
  name: string;
  color: string;
}

export interface SegWriteInput {
  source: SegSource;
  rows: number;
  cols: number;
  /** slices × rows × cols label values, slice-major in the source's slice order */
  labels: Uint16Array;
  segments: SegSegmentInput[];
  /** the algorithm that made it, or null for manual annotations */
  algorithm: string | null;
  seriesDescription: string;
  seriesNumber: number;
  uids: { series: string; instance: string; dimensionOrganization: string; implementationClass: string };
  /** e.g. new Date() */
  created: Date;
  software: { manufacturer: string; model: string; version: string; deviceSerialNumber: string };
}

const SEGMENTATION_STORAGE = '1.2.840.10008.5.1.4.1.1.66.4';
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

interface DcmjsData {
  DicomDict: new (meta: Record<string, unknown>) => { dict: Record<string, unknown>; write(): ArrayBuffer };
  DicomMetaDictionary: { denaturalizeDataset(dataset: Record<string, unknown>): Record<string, unknown> };
}
const { DicomDict, DicomMetaDictionary } = (dcmjs as { data: DcmjsData }).data;

/** DS is at most 16 characters. */
function ds(value: number): string {
  for (let digits = 10; digits >= 0; digits--) {
    const text = String(Number(value.toFixed(digits)));
    if (text.length <= 16) return text;
  }
  return String(Math.round(value));
}

function dicomDateTime(d: Date): { date: string; time: string } {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return {
    date: `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`,
    time: `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`,
  };
}

export function writeSeg(input: SegWriteInput): Uint8Array {
  const { source, rows, cols, labels } = input;
  const plane = rows * cols;
  const sliceCount = source.slices.length;
  if (labels.length !== plane * sliceCount)
    throw new RangeError(`writeSeg: ${labels.length} labels for ${sliceCount} slices of ${rows} × ${cols}`);
  if (input.segments.length === 0) throw new RangeError('writeSeg: no segments');

  // Frames: for each segment (in order), each slice holding it.
  const frames: { segment: number; slice: number }[] = [];
  input.segments.forEach((segment, s) => {
    for (let k = 0; k < sliceCount; k++) {
      const base = k * plane;
      for (let p = 0; p < plane; p++) {
        if (labels[base + p] === segment.value) {
          frames.push({ segment: s + 1, slice: k });
          break;
        }
      }
    }
  });
  // A SEG needs at least one frame: an empty first segment on the first slice says "nothing found".
  if (frames.length === 0) frames.push({ segment: 1, slice: 0 });

  const bits = frames.length * plane;
  const packed = new Uint8Array(Math.ceil(bits / 8) + (Math.ceil(bits / 8) % 2));
  frames.forEach((frame, f) => {
    const value = input.segments[frame.segment - 1].value;
    const base = frame.slice * plane;
    for (let p = 0; p < plane; p++) {
      if (labels[base + p] === value) {
        const bit = f * plane + p;
        packed[bit >> 3] |= 1 << (bit & 7);
      }
    }
  });

  const { date, time } = dicomDateTime(input.created);
  const automatic = input.algorithm !== null;
  const segmentSequence = input.segments.map((segment, s) => {
    const codes = segmentCodes(segment.value);
    return {
      SegmentNumber: s + 1,
      SegmentLabel: segment.name.slice(0, 64),
      SegmentDescription: `label value ${segment.value}`,
      SegmentAlgorithmType: automatic ? 'AUTOMATIC' : 'MANUAL',
      ...(automatic ? { SegmentAlgorithmName: (input.algorithm as string).slice(0, 64) } : {}),
      SegmentedPropertyCategoryCodeSequence: [codes.category],
      SegmentedPropertyTypeCodeSequence: [codes.type],
      RecommendedDisplayCIELabValue: rgbToDicomLab(segment.color),
    };
  });
  const perFrame = frames.map((frame) => {
    const slice = source.slices[frame.slice];
    const placement = {
      FrameContentSequence: [{ DimensionIndexValues: [frame.segment, frame.slice + 1] }],
      PlanePositionSequence: [{ ImagePositionPatient: slice.position.map(ds) }],
      SegmentIdentificationSequence: [{ ReferencedSegmentNumber: frame.segment }],
    };
    if (!slice.sopInstanceUid || !slice.sopClassUid) return placement;
    const sourceImage: Record<string, unknown> = {
      ReferencedSOPClassUID: slice.sopClassUid,
      ReferencedSOPInstanceUID: slice.sopInstanceUid,
      ...(slice.frameNumber !== null ? { ReferencedFrameNumber: slice.frameNumber } : {}),
      PurposeOfReferenceCodeSequence: [
        { CodeValue: '121322', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Source image for image processing operation' },
      ],
    };
    return {
      DerivationImageSequence: [
        {
          SourceImageSequence: [sourceImage],
          DerivationCodeSequence: [{ CodeValue: '113076', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Segmentation' }],
        },
      ],
      ...placement,
    };
  });
  // Each source image once, in slice order (a multi-frame source appears once).
  const referencedInstances: { ReferencedSOPClassUID: string; ReferencedSOPInstanceUID: string }[] = [];
  const seen = new Set<string>();
  for (const slice of source.slices) {
    if (!slice.sopInstanceUid || !slice.sopClassUid || seen.has(slice.sopInstanceUid)) continue;
    seen.add(slice.sopInstanceUid);
    referencedInstances.push({ ReferencedSOPClassUID: slice.sopClassUid, ReferencedSOPInstanceUID: slice.sopInstanceUid });
  }
  const dimensionUid = input.uids.dimensionOrganization;
  const dataset: Record<string, unknown> = {
    SpecificCharacterSet: 'ISO_IR 192',
    ImageType: ['DERIVED', 'PRIMARY'],
    InstanceCreationDate: date,
    InstanceCreationTime: time,
    SOPClassUID: SEGMENTATION_STORAGE,
    SOPInstanceUID: input.uids.instance,
    StudyDate: source.study.StudyDate,
    SeriesDate: date,
    ContentDate: date,
    StudyTime: source.study.StudyTime,
    SeriesTime: time,
    ContentTime: time,
    AccessionNumber: source.study.AccessionNumber,
    Modality: 'SEG',
    Manufacturer: input.software.manufacturer,
    ReferringPhysicianName: source.study.ReferringPhysicianName,
    SeriesDescription: input.seriesDescription.slice(0, 64),
    ManufacturerModelName: input.software.model,
    ...(source.seriesInstanceUid && referencedInstances.length > 0
      ? { ReferencedSeriesSequence: [{ SeriesInstanceUID: source.seriesInstanceUid, ReferencedInstanceSequence: referencedInstances }] }
      : {}),
    PatientName: source.patient.PatientName,
    PatientID: source.patient.PatientID,
    PatientBirthDate: source.patient.PatientBirthDate,
    PatientSex: source.patient.PatientSex,
    DeviceSerialNumber: input.software.deviceSerialNumber,
    SoftwareVersions: input.software.version,
    StudyInstanceUID: source.study.StudyInstanceUID,
    SeriesInstanceUID: input.uids.series,
    StudyID: source.study.StudyID,
    SeriesNumber: String(input.seriesNumber),
    InstanceNumber: '1',
    FrameOfReferenceUID: source.frameOfReferenceUid,
    PositionReferenceIndicator: '',
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: dimensionUid }],
    DimensionOrganizationType: '3D',
    DimensionIndexSequence: [
      {
        DimensionOrganizationUID: dimensionUid,
        DimensionIndexPointer: 0x0062000b,
        FunctionalGroupPointer: 0x0062000a,
        DimensionDescriptionLabel: 'ReferencedSegmentNumber',
      },
      {
        DimensionOrganizationUID: dimensionUid,
        DimensionIndexPointer: 0x00200032,
        FunctionalGroupPointer: 0x00209113,
        DimensionDescriptionLabel: 'ImagePositionPatient',
      },
    ],
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    NumberOfFrames: String(frames.length),
    Rows: rows,
    Columns: cols,
    BitsAllocated: 1,
    BitsStored: 1,
    HighBit: 0,
    PixelRepresentation: 0,
    LossyImageCompression: '00',
    SegmentationType: 'BINARY',
    ContentLabel: 'SEGMENTATION',
    ContentDescription: input.seriesDescription.slice(0, 64),
    ContentCreatorName: '',
    SegmentSequence: segmentSequence,
    SharedFunctionalGroupsSequence: [
      {
        PixelMeasuresSequence: [{ PixelSpacing: source.pixelSpacing.map(ds), SliceThickness: ds(source.sliceThickness) }],
        PlaneOrientationSequence: [{ ImageOrientationPatient: source.orientation.map(ds) }],
      },
    ],
    PerFrameFunctionalGroupsSequence: perFrame,
    PixelData: packed.buffer,
    _vrMap: { PixelData: 'OB' },
  };
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: SEGMENTATION_STORAGE,
    MediaStorageSOPInstanceUID: input.uids.instance,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: input.uids.implementationClass,
    ImplementationVersionName: 'SSMTL_STUDIO_01',
  };
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return new Uint8Array(dict.write());
}
