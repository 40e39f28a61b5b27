/**
 * Reads a DICOM Segmentation object (PS3.3 A.51) into per-frame binary masks with their
 * segment and plane: what `annotations import` needs to paint slices of a series. BINARY
 * (1 bit, frames packed back to back without padding), FRACTIONAL (8 bit, a voxel is in
 * the segment when it is at least half the maximum) and LABELMAP (8/16 bit values) are
 * read; compressed transfer syntaxes are refused with a reason. Pure: bytes in.
 *
 * Parsed with dicom-parser, as every other DICOM file is: it allocates nothing for an
 * element's declared length (dcmjs did, so a damaged length in a 5 KB file allocated
 * gigabytes), and every value is read within the bytes present.
 */
import type { DataSet } from 'dicom-parser';
import { NotDicomError, parseDicomBytes } from '../dicom/parse-part10.ts';

export type SegVec3 = [number, number, number];

export interface SegSegment {
  number: number;
  label: string;
  /** the label value this app wrote (SegmentDescription "label value N"), if any */
  labelValue: number | null;
  /** Segmented Property Type: CodeValue and CodingSchemeDesignator */
  typeCode: string | null;
  typeScheme: string | null;
}

export interface SegFrame {
  segment: number;
  /** LPS mm of the first transmitted pixel */
  position: SegVec3 | null;
  /** row direction then column direction (ImageOrientationPatient) */
  orientation: [SegVec3, SegVec3] | null;
  /** SOP Instance UID of the source image this frame was derived from, if given */
  sourceInstance: string | null;
  /** rows × cols, 1 where the voxel belongs to the segment (LABELMAP: the stored value) */
  mask: Uint16Array;
}

export interface SegObject {
  rows: number;
  cols: number;
  type: 'BINARY' | 'FRACTIONAL' | 'LABELMAP';
  segments: SegSegment[];
  frames: SegFrame[];
  referencedSeries: string | null;
  frameOfReference: string | null;
}

export class SegError extends Error {
  override readonly name = 'SegError';
}

const SEGMENTATION_STORAGE = '1.2.840.10008.5.1.4.1.1.66.4';
const LABELMAP_SEGMENTATION_STORAGE = '1.2.840.10008.5.1.4.1.1.66.7';
const BIG_ENDIAN = '1.2.840.10008.1.2.2';
const NATIVE_SYNTAXES = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', BIG_ENDIAN, '1.2.840.10008.1.2.1.99']);

/** The tags read here (dicom-parser's names). */
const T = {
  transferSyntax: 'x00020010',
  sopClass: 'x00080016',
  modality: 'x00080060',
  seriesInstance: 'x0020000e',
  frameOfReference: 'x00200052',
  referencedSeriesSequence: 'x00081115',
  referencedSopInstance: 'x00081155',
  derivationImageSequence: 'x00089124',
  sourceImageSequence: 'x00082112',
  codeValue: 'x00080100',
  codingScheme: 'x00080102',
  imagePosition: 'x00200032',
  imageOrientation: 'x00200037',
  planePositionSequence: 'x00209113',
  planeOrientationSequence: 'x00209116',
  numberOfFrames: 'x00280008',
  rows: 'x00280010',
  columns: 'x00280011',
  bitsAllocated: 'x00280100',
  segmentSequence: 'x00620002',
  segmentedPropertyTypeSequence: 'x0062000f',
  segmentNumber: 'x00620004',
  segmentLabel: 'x00620005',
  segmentDescription: 'x00620006',
  segmentationType: 'x00620001',
  maximumFractionalValue: 'x0062000e',
  segmentIdentificationSequence: 'x0062000a',
  referencedSegmentNumber: 'x0062000b',
  sharedGroups: 'x52009229',
  perFrameGroups: 'x52009230',
  pixelData: 'x7fe00010',
} as const;

function text(dataSet: DataSet | undefined, tag: string): string | null {
  const value = dataSet?.string(tag)?.replace(/\0/g, '').trim();
  return value ? value : null;
}

function items(dataSet: DataSet | undefined, tag: string): DataSet[] {
  return (dataSet?.elements[tag]?.items ?? []).flatMap((item) => (item.dataSet ? [item.dataSet] : []));
}

function firstItem(dataSet: DataSet | undefined, tag: string): DataSet | undefined {
  return items(dataSet, tag)[0];
}

/** An unsigned integer that is US (or, in a file of another VR, a decimal string). */
function unsigned(dataSet: DataSet | undefined, tag: string): number | null {
  const element = dataSet?.elements[tag];
  if (!dataSet || !element) return null;
  if (element.vr === undefined || element.vr === 'US') {
    if (element.length >= 2) return dataSet.uint16(tag) ?? null;
    return null;
  }
  const value = Number(text(dataSet, tag));
  return Number.isFinite(value) ? value : null;
}

function decimals(dataSet: DataSet | undefined, tag: string): number[] | null {
  const raw = text(dataSet, tag);
  if (!raw) return null;
  const values = raw.split('\\').map(Number);
  return values.every(Number.isFinite) ? values : null;
}

export function readSeg(bytes: Uint8Array): SegObject {
  let dataSet: DataSet;
  try {
    const parsed = parseDicomBytes(bytes);
    if (parsed.truncated) throw new SegError('truncated or corrupt DICOM file: it ends inside an element');
    dataSet = parsed.dataSet;
  } catch (error) {
    if (error instanceof SegError) throw error;
    throw new SegError(error instanceof NotDicomError ? error.reason : `not a readable DICOM file (${(error as Error).message})`);
  }
  const sopClass = text(dataSet, T.sopClass) ?? '';
  if (sopClass !== SEGMENTATION_STORAGE && sopClass !== LABELMAP_SEGMENTATION_STORAGE) {
    throw new SegError(`not a DICOM Segmentation (SOP Class ${sopClass || 'missing'}, modality ${text(dataSet, T.modality) ?? 'missing'})`);
  }
  const transferSyntax = text(dataSet, T.transferSyntax) ?? '';
  if (transferSyntax && !NATIVE_SYNTAXES.has(transferSyntax))
    throw new SegError(
      `compressed segmentation (transfer syntax ${transferSyntax}) is not supported; decompress it first (e.g. dcmdjpeg / gdcmconv --raw)`,
    );
  const rows = unsigned(dataSet, T.rows) ?? 0;
  const cols = unsigned(dataSet, T.columns) ?? 0;
  const frameCount = dataSet.elements[T.numberOfFrames] ? Number(text(dataSet, T.numberOfFrames)) : 1;
  if (!(rows > 0 && cols > 0 && Number.isInteger(frameCount) && frameCount > 0))
    throw new SegError(`invalid Rows/Columns/NumberOfFrames (${rows}, ${cols}, ${text(dataSet, T.numberOfFrames)})`);
  const declaredType = text(dataSet, T.segmentationType) ?? (sopClass === LABELMAP_SEGMENTATION_STORAGE ? 'LABELMAP' : 'BINARY');
  if (declaredType !== 'BINARY' && declaredType !== 'FRACTIONAL' && declaredType !== 'LABELMAP')
    throw new SegError(`unknown SegmentationType ${declaredType}`);
  const type = declaredType;
  const bitsAllocated = unsigned(dataSet, T.bitsAllocated) ?? (type === 'BINARY' ? 1 : 8);

  const segments: SegSegment[] = items(dataSet, T.segmentSequence).map((s) => {
    const match = /label value (\d+)/.exec(text(s, T.segmentDescription) ?? '');
    const code = firstItem(s, T.segmentedPropertyTypeSequence);
    return {
      number: unsigned(s, T.segmentNumber) ?? Number.NaN,
      label: text(s, T.segmentLabel) ?? '',
      labelValue: match ? Number(match[1]) : null,
      typeCode: text(code, T.codeValue),
      typeScheme: text(code, T.codingScheme),
    };
  });

  const pixelElement = dataSet.elements[T.pixelData];
  if (pixelElement?.encapsulatedPixelData) throw new SegError('compressed (encapsulated) pixel data in an uncompressed transfer syntax');
  const raw = pixelElement
    ? dataSet.byteArray.subarray(pixelElement.dataOffset, pixelElement.dataOffset + pixelElement.length)
    : new Uint8Array(0);
  const plane = rows * cols;
  const needed = type === 'BINARY' ? Math.ceil((plane * frameCount) / 8) : (plane * frameCount * bitsAllocated) / 8;
  if (type !== 'BINARY' && bitsAllocated !== 8 && !(type === 'LABELMAP' && bitsAllocated === 16))
    throw new SegError(`${type} segmentation with BitsAllocated ${bitsAllocated} is not supported`);
  if (raw.length < needed)
    throw new SegError(`pixel data has ${raw.length} bytes, ${frameCount} frames of ${rows} × ${cols} need ${needed}`);
  const maxFraction = unsigned(dataSet, T.maximumFractionalValue) ?? 255;

  const shared = firstItem(dataSet, T.sharedGroups);
  const sharedOrientation = decimals(firstItem(shared, T.planeOrientationSequence), T.imageOrientation);
  const sharedSegment = unsigned(firstItem(shared, T.segmentIdentificationSequence), T.referencedSegmentNumber);
  const perFrame = items(dataSet, T.perFrameGroups);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const littleEndian = transferSyntax !== BIG_ENDIAN;
  const frames: SegFrame[] = [];
  for (let f = 0; f < frameCount; f++) {
    const groups = perFrame[f];
    const segment =
      unsigned(firstItem(groups, T.segmentIdentificationSequence), T.referencedSegmentNumber) ??
      sharedSegment ??
      (type === 'LABELMAP' ? 0 : Number.NaN);
    const ipp = decimals(firstItem(groups, T.planePositionSequence), T.imagePosition);
    const iop = decimals(firstItem(groups, T.planeOrientationSequence), T.imageOrientation) ?? sharedOrientation;
    const source = firstItem(firstItem(groups, T.derivationImageSequence), T.sourceImageSequence);
    const mask = new Uint16Array(plane);
    if (type === 'BINARY') {
      const base = f * plane;
      for (let p = 0; p < plane; p++) {
        const bit = base + p;
        mask[p] = (raw[bit >> 3] >> (bit & 7)) & 1;
      }
    } else if (type === 'FRACTIONAL') {
      const base = f * plane;
      for (let p = 0; p < plane; p++) mask[p] = raw[base + p] * 2 >= maxFraction && raw[base + p] > 0 ? 1 : 0;
    } else if (bitsAllocated === 16) {
      for (let p = 0; p < plane; p++) mask[p] = view.getUint16((f * plane + p) * 2, littleEndian);
    } else {
      for (let p = 0; p < plane; p++) mask[p] = raw[f * plane + p];
    }
    frames.push({
      segment,
      position: ipp && ipp.length === 3 ? (ipp as SegVec3) : null,
      orientation: iop && iop.length === 6 ? [iop.slice(0, 3) as SegVec3, iop.slice(3, 6) as SegVec3] : null,
      sourceInstance: text(source, T.referencedSopInstance),
      mask,
    });
  }
  return {
    rows,
    cols,
    type,
    segments,
    frames,
    referencedSeries: text(firstItem(dataSet, T.referencedSeriesSequence), T.seriesInstance),
    frameOfReference: text(dataSet, T.frameOfReference),
  };
}
