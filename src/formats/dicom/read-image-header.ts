import type { DataSet, Element } from 'dicom-parser';
import type { PixelLayout } from './pixel-data/decode-frame.ts';
import { describeTransferSyntax, unsupportedTransferSyntaxReason } from './pixel-data/transfer-syntax.ts';
import { NON_SCAN_SOP_CLASSES, Tag } from './tags.ts';
import { normalize, sliceNormal, type PlaneOrientation, type Vec3 } from './geometry.ts';

/** Larger frames than this are no scan (a corrupt or hostile header): refuse before allocating. */
const MAX_FRAME_PIXELS = 8192 * 8192;
const MAX_TOTAL_PIXELS = 2 ** 31;
/** Composite image storage SOP classes (PS3.4 B.5); non-image ones under it are listed in NON_SCAN_SOP_CLASSES. */
const STORAGE_SOP_CLASS_ROOT = '1.2.840.10008.5.1.4.1.1.';

/** Where one frame lies and how its stored values become modality values (HU for CT). */
export interface FrameHeader {
  frameIndex: number;
  /** ImagePositionPatient: centre of the first pixel, LPS mm */
  position: Vec3 | null;
  orientation: PlaneOrientation | null;
  /** PixelSpacing as DICOM orders it: [between rows, between columns] mm */
  pixelSpacing: [number, number] | null;
  rescaleSlope: number;
  rescaleIntercept: number;
}

/** Everything we keep of an image file's header: plain data, so the file's bytes can be freed. */
export interface DicomImageHeader {
  sopClassUid: string | null;
  sopInstanceUid: string | null;
  studyInstanceUid: string | null;
  seriesInstanceUid: string | null;
  modality: string | null;
  description: string | null;
  patientId: string | null;
  instanceNumber: number | null;
  sliceThickness: number | null;
  spacingBetweenSlices: number | null;
  gantryTilt: number | null;
  layout: PixelLayout;
  frames: FrameHeader[];
  warnings: string[];
}

/** A file that holds DICOM but nothing we can import; `reason` is shown in `skipped`. */
export class UnusableImageError extends Error {
  override readonly name = 'UnusableImageError';
  constructor(readonly reason: string) {
    super(reason);
  }
}

/**
 * Reads the header of an image object, single- or multi-frame (enhanced CT/MR with
 * per-frame functional groups, or legacy multi-frame), and checks that its pixel data
 * can be decoded. Throws UnusableImageError with a reason for anything else.
 */
export function readImageHeader(
  dataSet: DataSet,
  { truncated = false, fileSize = dataSet.byteArray.length }: { truncated?: boolean; fileSize?: number } = {},
): DicomImageHeader {
  const sopClassUid = text(dataSet, Tag.SopClassUid) ?? text(dataSet, Tag.MediaStorageSopClassUid);
  if (sopClassUid && NON_SCAN_SOP_CLASSES[sopClassUid]) throw new UnusableImageError(NON_SCAN_SOP_CLASSES[sopClassUid]);
  const pixelElement = dataSet.elements[Tag.PixelData];
  if (!pixelElement) {
    if (dataSet.elements[Tag.FloatPixelData] || dataSet.elements[Tag.DoubleFloatPixelData]) {
      throw new UnusableImageError('float pixel data (parametric map) is not supported');
    }
    if (truncated) throw new UnusableImageError('truncated file: it ends before the pixel data');
    // A file cut exactly between two elements parses cleanly: an image SOP class says what was lost.
    if (sopClassUid?.startsWith(STORAGE_SOP_CLASS_ROOT)) {
      throw new UnusableImageError(`image object (SOP class ${sopClassUid}) without pixel data: truncated, or written without pixels`);
    }
    throw new UnusableImageError(`not an image: no pixel data${sopClassUid ? ` (SOP class ${sopClassUid})` : ''}`);
  }

  const warnings: string[] = [];
  const layout = readLayout(dataSet);
  checkLayout(layout);
  checkPixelDataLength(pixelElement, layout, truncated, fileSize);

  const frames = readFrames(dataSet, layout.numberOfFrames, warnings);
  return {
    sopClassUid,
    sopInstanceUid: text(dataSet, Tag.SopInstanceUid),
    studyInstanceUid: text(dataSet, Tag.StudyInstanceUid),
    seriesInstanceUid: text(dataSet, Tag.SeriesInstanceUid),
    modality: text(dataSet, Tag.Modality),
    description: text(dataSet, Tag.SeriesDescription),
    patientId: text(dataSet, Tag.PatientId),
    instanceNumber: integer(dataSet, Tag.InstanceNumber),
    sliceThickness: decimal(dataSet, Tag.SliceThickness) ?? sharedDecimal(dataSet, Tag.PixelMeasuresSequence, Tag.SliceThickness),
    spacingBetweenSlices:
      decimal(dataSet, Tag.SpacingBetweenSlices) ?? sharedDecimal(dataSet, Tag.PixelMeasuresSequence, Tag.SpacingBetweenSlices),
    gantryTilt: decimal(dataSet, Tag.GantryDetectorTilt),
    layout,
    frames,
    warnings,
  };
}

function readLayout(dataSet: DataSet): PixelLayout {
  const transferSyntaxUid = text(dataSet, Tag.TransferSyntaxUid) ?? '1.2.840.10008.1.2';
  const bitsAllocated = dataSet.uint16(Tag.BitsAllocated) ?? 0;
  return {
    transferSyntaxUid,
    rows: dataSet.uint16(Tag.Rows) ?? 0,
    cols: dataSet.uint16(Tag.Columns) ?? 0,
    bitsAllocated,
    bitsStored: dataSet.uint16(Tag.BitsStored) ?? bitsAllocated,
    highBit: dataSet.uint16(Tag.HighBit) ?? bitsAllocated - 1,
    pixelRepresentation: dataSet.uint16(Tag.PixelRepresentation) === 1 ? 1 : 0,
    samplesPerPixel: dataSet.uint16(Tag.SamplesPerPixel) ?? 1,
    photometricInterpretation: text(dataSet, Tag.PhotometricInterpretation) ?? 'MONOCHROME2',
    planarConfiguration: dataSet.uint16(Tag.PlanarConfiguration) ?? 0,
    numberOfFrames: Math.max(1, integer(dataSet, Tag.NumberOfFrames) ?? 1),
  };
}

function checkLayout(layout: PixelLayout): void {
  const { rows, cols, bitsAllocated, bitsStored, samplesPerPixel, numberOfFrames } = layout;
  if (!describeTransferSyntax(layout.transferSyntaxUid)) {
    throw new UnusableImageError(unsupportedTransferSyntaxReason(layout.transferSyntaxUid));
  }
  if (rows === 0 || cols === 0) throw new UnusableImageError(`image has no size (Rows ${rows}, Columns ${cols})`);
  if (rows * cols > MAX_FRAME_PIXELS || rows * cols * numberOfFrames > MAX_TOTAL_PIXELS) {
    throw new UnusableImageError(`absurd dimensions (${cols} × ${rows} × ${numberOfFrames} frames): refusing to allocate`);
  }
  if (samplesPerPixel !== 1 || !layout.photometricInterpretation.startsWith('MONOCHROME')) {
    throw new UnusableImageError(
      `colour image (${layout.photometricInterpretation}, ${samplesPerPixel} samples per pixel): only grayscale scans are supported`,
    );
  }
  if (![8, 16, 32].includes(bitsAllocated)) throw new UnusableImageError(`unsupported BitsAllocated ${bitsAllocated}`);
  if (bitsStored < 1 || bitsStored > bitsAllocated) {
    throw new UnusableImageError(`BitsStored ${bitsStored} does not fit BitsAllocated ${bitsAllocated}`);
  }
}

/** Native pixel data must hold every declared frame; checked before anything is allocated. */
/** `fileSize` may exceed the bytes parsed: a scan reads only the header of a native file. */
function checkPixelDataLength(element: Element, layout: PixelLayout, truncated: boolean, fileSize: number): void {
  const syntax = describeTransferSyntax(layout.transferSyntaxUid);
  const available = Math.max(0, fileSize - element.dataOffset);
  if (syntax?.encapsulated) {
    if (truncated) throw new UnusableImageError(`truncated file: it ends inside the compressed pixel data (${available} bytes there)`);
    // Each frame is one fragment or more (PS3.5 A.4): a frame count beyond the fragments
    // is a damaged header, and believing it would build a header per frame (2e9 of them).
    const fragments = element.encapsulatedPixelData ? (element.fragments?.length ?? 0) : 0;
    if (fragments === 0)
      throw new UnusableImageError(`the transfer syntax is ${syntax.name}, but the pixel data holds no compressed fragments`);
    if (layout.numberOfFrames > fragments)
      throw new UnusableImageError(
        `NumberOfFrames is ${layout.numberOfFrames}, but the compressed pixel data has only ${fragments} fragment(s)`,
      );
    return;
  }
  const expected = (layout.rows * layout.cols * layout.numberOfFrames * layout.bitsAllocated) / 8;
  const present = Math.min(element.length, available);
  if (present < expected) {
    const what = truncated || available < element.length ? 'truncated file: pixel data' : 'pixel data shorter than declared';
    throw new UnusableImageError(
      `${what} (${present} of ${expected} bytes for ${layout.cols} × ${layout.rows} × ${layout.numberOfFrames} frames at ${layout.bitsAllocated} bits)`,
    );
  }
}

function readFrames(dataSet: DataSet, frameCount: number, warnings: string[]): FrameHeader[] {
  const shared = firstItem(dataSet, Tag.SharedFunctionalGroupsSequence);
  const perFrame = dataSet.elements[Tag.PerFrameFunctionalGroupsSequence]?.items ?? [];
  const topOrientation = orientationOf(dataSet);
  const topPosition = vector(dataSet, Tag.ImagePositionPatient);
  const topSpacing = pixelSpacingOf(dataSet);
  const topSlope = decimal(dataSet, Tag.RescaleSlope);
  const topIntercept = decimal(dataSet, Tag.RescaleIntercept);

  if (perFrame.length > 0 && perFrame.length !== frameCount) {
    warnings.push(`per-frame functional groups list ${perFrame.length} frames but NumberOfFrames is ${frameCount}`);
  }
  const legacyOffsets = frameCount > 1 && perFrame.length === 0 ? legacyFrameOffsets(dataSet, frameCount, warnings) : null;

  const frames: FrameHeader[] = [];
  for (let frameIndex = 0; frameIndex < frameCount; frameIndex++) {
    const own = perFrame[frameIndex]?.dataSet;
    // Per PS3.3 C.7.6.16, a functional group is either shared or per-frame.
    const group = (tag: string) => firstItem(own, tag) ?? firstItem(shared, tag);
    const planeOrientation = group(Tag.PlaneOrientationSequence);
    const planePosition = group(Tag.PlanePositionSequence);
    const measures = group(Tag.PixelMeasuresSequence);
    const transformation = group(Tag.PixelValueTransformationSequence);

    const orientation = (planeOrientation && orientationOf(planeOrientation)) ?? topOrientation;
    let position = (planePosition && vector(planePosition, Tag.ImagePositionPatient)) ?? topPosition;
    if (legacyOffsets && position && orientation) {
      const normal = sliceNormal(orientation);
      const offset = legacyOffsets[frameIndex];
      position = [position[0] + normal[0] * offset, position[1] + normal[1] * offset, position[2] + normal[2] * offset];
    }
    frames.push({
      frameIndex,
      position,
      orientation,
      pixelSpacing: (measures && pixelSpacingOf(measures)) ?? topSpacing,
      rescaleSlope: (transformation && decimal(transformation, Tag.RescaleSlope)) ?? topSlope ?? 1,
      rescaleIntercept: (transformation && decimal(transformation, Tag.RescaleIntercept)) ?? topIntercept ?? 0,
    });
  }
  return frames;
}

/** Legacy multi-frame files give one position; frames step along the normal (RT dose style offsets, else SpacingBetweenSlices). */
function legacyFrameOffsets(dataSet: DataSet, frameCount: number, warnings: string[]): number[] | null {
  const grid = decimals(dataSet, Tag.GridFrameOffsetVector);
  if (grid && grid.length === frameCount) return grid;
  const step = decimal(dataSet, Tag.SpacingBetweenSlices) ?? decimal(dataSet, Tag.SliceThickness);
  if (step) {
    warnings.push(`multi-frame file without per-frame positions: frames placed ${step} mm apart along the normal`);
    return Array.from({ length: frameCount }, (_, k) => k * step);
  }
  warnings.push('multi-frame file without per-frame positions or spacing: frames kept in stored order');
  return null;
}

function orientationOf(dataSet: DataSet): PlaneOrientation | null {
  const values = decimals(dataSet, Tag.ImageOrientationPatient);
  if (!values || values.length < 6) return null;
  const row = normalize([values[0], values[1], values[2]]);
  const column = normalize([values[3], values[4], values[5]]);
  if (row.every((v) => v === 0) || column.every((v) => v === 0)) return null;
  return { row, column };
}

function pixelSpacingOf(dataSet: DataSet): [number, number] | null {
  const values = decimals(dataSet, Tag.PixelSpacing);
  if (!values || values.length < 2 || !(values[0] > 0) || !(values[1] > 0)) return null;
  return [values[0], values[1]];
}

function vector(dataSet: DataSet, tag: string): Vec3 | null {
  const values = decimals(dataSet, tag);
  return values && values.length >= 3 ? [values[0], values[1], values[2]] : null;
}

function firstItem(dataSet: DataSet | undefined, tag: string): DataSet | undefined {
  return dataSet?.elements[tag]?.items?.[0]?.dataSet;
}

function sharedDecimal(dataSet: DataSet, sequenceTag: string, tag: string): number | null {
  const item = firstItem(firstItem(dataSet, Tag.SharedFunctionalGroupsSequence), sequenceTag);
  return item ? decimal(item, tag) : null;
}

function text(dataSet: DataSet, tag: string): string | null {
  const value = dataSet.string(tag)?.replace(/\0/g, '').trim();
  return value ? value : null;
}

function decimals(dataSet: DataSet, tag: string): number[] | null {
  const raw = text(dataSet, tag);
  if (!raw) return null;
  const values = raw.split('\\').map((part) => Number(part.trim()));
  return values.every(Number.isFinite) ? values : null;
}

function decimal(dataSet: DataSet, tag: string): number | null {
  return decimals(dataSet, tag)?.[0] ?? null;
}

function integer(dataSet: DataSet, tag: string): number | null {
  const value = decimal(dataSet, tag);
  return value === null ? null : Math.round(value);
}
