import dcmjs from 'dcmjs';

/**
 * Writes small DICOM Part 10 files with dcmjs for geometry and robustness tests, so
 * every case (shuffled names, reversed InstanceNumbers, tilts, scouts, enhanced
 * multi-frame) is a real file read through the real parser.
 */
export interface TestImage {
  seriesUid?: string;
  sopInstanceUid?: string;
  modality?: string;
  instanceNumber?: number;
  position?: [number, number, number];
  orientation?: [number, number, number, number, number, number];
  pixelSpacing?: [number, number];
  rows?: number;
  cols?: number;
  /** stored values; default: a ramp */
  pixels?: Int16Array | Uint16Array;
  signed?: boolean;
  bitsStored?: number;
  rescaleSlope?: number;
  rescaleIntercept?: number;
  photometric?: string;
  sopClassUid?: string;
  transferSyntaxUid?: string;
  extra?: Record<string, unknown>;
}

const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
let uidCounter = 0;

export function testUid(): string {
  uidCounter += 1;
  return `2.25.${Date.now()}${process.pid}${uidCounter}`;
}

export function writeDicom(image: TestImage = {}): Uint8Array {
  const rows = image.rows ?? 8;
  const cols = image.cols ?? 8;
  const signed = image.signed ?? true;
  const pixels = image.pixels ?? rampPixels(rows, cols, signed, image.instanceNumber ?? 0);
  const sopInstanceUid = image.sopInstanceUid ?? testUid();
  const sopClassUid = image.sopClassUid ?? CT_IMAGE_STORAGE;
  const dataset: Record<string, unknown> = {
    SOPClassUID: sopClassUid,
    SOPInstanceUID: sopInstanceUid,
    StudyInstanceUID: '2.25.1',
    SeriesInstanceUID: image.seriesUid ?? '2.25.2',
    Modality: image.modality ?? 'CT',
    PatientID: 'TEST-1',
    SeriesDescription: 'test series',
    InstanceNumber: image.instanceNumber ?? 1,
    Rows: rows,
    Columns: cols,
    SamplesPerPixel: 1,
    PhotometricInterpretation: image.photometric ?? 'MONOCHROME2',
    BitsAllocated: 16,
    BitsStored: image.bitsStored ?? 16,
    HighBit: (image.bitsStored ?? 16) - 1,
    PixelRepresentation: signed ? 1 : 0,
    PixelSpacing: image.pixelSpacing ?? [0.5, 0.5],
    RescaleSlope: image.rescaleSlope ?? 1,
    RescaleIntercept: image.rescaleIntercept ?? 0,
    PixelData: [pixels.buffer.slice(pixels.byteOffset, pixels.byteOffset + pixels.byteLength)],
    _vrMap: { PixelData: 'OW' },
    ...image.extra,
  };
  // DS values hold 16 characters at most: round as a scanner would.
  const decimal = (values: number[]) => values.map((v) => Number(v.toFixed(6)));
  if (image.position) dataset.ImagePositionPatient = decimal(image.position);
  if (image.orientation !== undefined) dataset.ImageOrientationPatient = decimal(image.orientation);
  else if (image.position) dataset.ImageOrientationPatient = [1, 0, 0, 0, 1, 0];
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: sopClassUid,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: image.transferSyntaxUid ?? '1.2.840.10008.1.2.1',
    ImplementationClassUID: '2.25.3',
  };
  const { DicomDict, DicomMetaDictionary } = dcmjs.data;
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return new Uint8Array(dict.write());
}

export function rampPixels(rows: number, cols: number, signed: boolean, offset = 0): Int16Array | Uint16Array {
  const pixels = signed ? new Int16Array(rows * cols) : new Uint16Array(rows * cols);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (signed ? i - 20 : i) + offset * 3;
  return pixels;
}
