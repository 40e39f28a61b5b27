/**
 * Reads a DICOM Segmentation object (PS3.3 A.51) into per-frame binary masks with their
 * segment and plane: what `annotations import` needs to paint slices of a series. BINARY
 * (1 bit, frames packed back to back without padding), FRACTIONAL (8 bit, a voxel is in
 * the segment when it is at least half the maximum) and LABELMAP (8/16 bit values) are
 * read; compressed transfer syntaxes are refused with a reason. Pure: bytes in.
 */
import dcmjs from 'dcmjs';

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
const NATIVE_SYNTAXES = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2', '1.2.840.10008.1.2.1.99']);

type Dataset = Record<string, unknown>;

interface DcmjsData {
  DicomMessage: { readFile(buffer: ArrayBuffer, options?: object): { dict: Dataset; meta: Dataset } };
  DicomMetaDictionary: { naturalizeDataset(dataset: Dataset): Dataset };
}
const { DicomMessage, DicomMetaDictionary } = (dcmjs as { data: DcmjsData }).data;

function first(value: unknown): Dataset | undefined {
  if (Array.isArray(value)) return value[0] as Dataset | undefined;
  return value as Dataset | undefined;
}

function numbers(value: unknown): number[] | null {
  if (value === undefined || value === null) return null;
  const list = Array.isArray(value) ? value : [value];
  const out = list.map(Number);
  return out.every(Number.isFinite) ? out : null;
}

export function readSeg(bytes: Uint8Array): SegObject {
  let dataset: Dataset;
  let transferSyntax = '';
  try {
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const dict = DicomMessage.readFile(buffer, { ignoreErrors: true });
    dataset = DicomMetaDictionary.naturalizeDataset(dict.dict);
    transferSyntax = String(DicomMetaDictionary.naturalizeDataset(dict.meta).TransferSyntaxUID ?? '');
  } catch (error) {
    throw new SegError(`not a readable DICOM file (${(error as Error).message})`);
  }
  const sopClass = String(dataset.SOPClassUID ?? '');
  if (sopClass !== SEGMENTATION_STORAGE && sopClass !== LABELMAP_SEGMENTATION_STORAGE) {
    throw new SegError(`not a DICOM Segmentation (SOP Class ${sopClass || 'missing'}, modality ${String(dataset.Modality ?? 'missing')})`);
  }
  if (transferSyntax && !NATIVE_SYNTAXES.has(transferSyntax))
    throw new SegError(
      `compressed segmentation (transfer syntax ${transferSyntax}) is not supported; decompress it first (e.g. dcmdjpeg / gdcmconv --raw)`,
    );
  const rows = Number(dataset.Rows);
  const cols = Number(dataset.Columns);
  const frameCount = Number(dataset.NumberOfFrames ?? 1);
  if (!(rows > 0 && cols > 0 && frameCount > 0))
    throw new SegError(`invalid Rows/Columns/NumberOfFrames (${dataset.Rows}, ${dataset.Columns}, ${dataset.NumberOfFrames})`);
  const declaredType = String(dataset.SegmentationType ?? (sopClass === LABELMAP_SEGMENTATION_STORAGE ? 'LABELMAP' : 'BINARY'));
  if (declaredType !== 'BINARY' && declaredType !== 'FRACTIONAL' && declaredType !== 'LABELMAP')
    throw new SegError(`unknown SegmentationType ${declaredType}`);
  const type = declaredType;
  const bitsAllocated = Number(dataset.BitsAllocated ?? (type === 'BINARY' ? 1 : 8));

  const segments: SegSegment[] = (
    (Array.isArray(dataset.SegmentSequence)
      ? dataset.SegmentSequence
      : dataset.SegmentSequence
        ? [dataset.SegmentSequence]
        : []) as Dataset[]
  ).map((s) => {
    const match = /label value (\d+)/.exec(String(s.SegmentDescription ?? ''));
    const type = first(s.SegmentedPropertyTypeCodeSequence);
    return {
      number: Number(s.SegmentNumber),
      label: String(s.SegmentLabel ?? ''),
      labelValue: match ? Number(match[1]) : null,
      typeCode: type?.CodeValue ? String(type.CodeValue) : null,
      typeScheme: type?.CodingSchemeDesignator ? String(type.CodingSchemeDesignator) : null,
    };
  });

  const pixelData = dataset.PixelData;
  const buffers = (Array.isArray(pixelData) ? pixelData : [pixelData]).filter(Boolean) as ArrayBuffer[];
  const total = buffers.reduce((n, b) => n + b.byteLength, 0);
  const raw = new Uint8Array(total);
  let offset = 0;
  for (const b of buffers) {
    raw.set(new Uint8Array(b), offset);
    offset += b.byteLength;
  }
  const plane = rows * cols;
  const needed = type === 'BINARY' ? Math.ceil((plane * frameCount) / 8) : (plane * frameCount * bitsAllocated) / 8;
  if (raw.length < needed)
    throw new SegError(`pixel data has ${raw.length} bytes, ${frameCount} frames of ${rows} × ${cols} need ${needed}`);
  const maxFraction = Number(dataset.MaximumFractionalValue ?? 255);

  const shared = first(dataset.SharedFunctionalGroupsSequence) ?? {};
  const sharedOrientation = numbers(first(shared.PlaneOrientationSequence)?.ImageOrientationPatient);
  const perFrame = (
    Array.isArray(dataset.PerFrameFunctionalGroupsSequence)
      ? dataset.PerFrameFunctionalGroupsSequence
      : [dataset.PerFrameFunctionalGroupsSequence]
  ) as (Dataset | undefined)[];
  const view = new DataView(raw.buffer);
  const frames: SegFrame[] = [];
  for (let f = 0; f < frameCount; f++) {
    const groups = perFrame[f] ?? {};
    const segment = Number(
      first(groups.SegmentIdentificationSequence)?.ReferencedSegmentNumber ??
        first(shared.SegmentIdentificationSequence)?.ReferencedSegmentNumber ??
        (type === 'LABELMAP' ? 0 : NaN),
    );
    const ipp = numbers(first(groups.PlanePositionSequence)?.ImagePositionPatient);
    const iop = numbers(first(groups.PlaneOrientationSequence)?.ImageOrientationPatient) ?? sharedOrientation;
    const source = first(first(first(groups.DerivationImageSequence)?.SourceImageSequence) as unknown);
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
      for (let p = 0; p < plane; p++) mask[p] = view.getUint16((f * plane + p) * 2, true);
    } else {
      for (let p = 0; p < plane; p++) mask[p] = raw[f * plane + p];
    }
    frames.push({
      segment,
      position: ipp && ipp.length === 3 ? (ipp as SegVec3) : null,
      orientation: iop && iop.length === 6 ? [iop.slice(0, 3) as SegVec3, iop.slice(3, 6) as SegVec3] : null,
      sourceInstance: source?.ReferencedSOPInstanceUID ? String(source.ReferencedSOPInstanceUID) : null,
      mask,
    });
  }
  const referenced = first(dataset.ReferencedSeriesSequence);
  return {
    rows,
    cols,
    type,
    segments,
    frames,
    referencedSeries: referenced?.SeriesInstanceUID ? String(referenced.SeriesInstanceUID) : null,
    frameOfReference: dataset.FrameOfReferenceUID ? String(dataset.FrameOfReferenceUID) : null,
  };
}
