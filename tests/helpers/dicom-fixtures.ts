/**
 * Test helpers for the pixel-data decoders: load committed fixture files (through the
 * product's own parser) and build the PixelLayout the way the header reader does.
 */
import { readFileSync } from 'node:fs';
import type { DataSet } from 'dicom-parser';
import { parseDicomBytes } from '../../src/formats/dicom/parse-part10.ts';
import type { PixelLayout } from '../../src/formats/dicom/pixel-data/pixel-layout.ts';

const REPO = new URL('../../', import.meta.url);
export const GENERATED = new URL('tests/fixtures/dicom/', REPO);
export const REAL = new URL('tests/fixtures/real/', REPO);

export function readBytes(url: URL): Uint8Array {
  return new Uint8Array(readFileSync(url));
}

export function layoutOf(dataSet: DataSet): PixelLayout {
  return {
    transferSyntaxUid: dataSet.string('x00020010') ?? '',
    rows: dataSet.uint16('x00280010') ?? 0,
    cols: dataSet.uint16('x00280011') ?? 0,
    bitsAllocated: dataSet.uint16('x00280100') ?? 0,
    bitsStored: dataSet.uint16('x00280101') ?? 0,
    highBit: dataSet.uint16('x00280102') ?? 0,
    pixelRepresentation: dataSet.uint16('x00280103') === 1 ? 1 : 0,
    samplesPerPixel: dataSet.uint16('x00280002') ?? 1,
    photometricInterpretation: dataSet.string('x00280004') ?? '',
    planarConfiguration: dataSet.uint16('x00280006') ?? 0,
    numberOfFrames: dataSet.intString('x00280008') ?? 1,
  };
}

export function loadDicom(url: URL): { dataSet: DataSet; layout: PixelLayout } {
  const dataSet = parseDicomBytes(readBytes(url)).dataSet;
  return { dataSet, layout: layoutOf(dataSet) };
}

/** Expected stored values written by scripts/make-dicom-fixtures.sh (little-endian raw samples). */
export function readRaw(name: string, bitsAllocated: number, signed: boolean): ArrayLike<number> {
  const bytes = readBytes(new URL(`${name}.raw`, GENERATED));
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  if (bitsAllocated === 8) return signed ? new Int8Array(buffer) : new Uint8Array(buffer);
  return signed ? new Int16Array(buffer) : new Uint16Array(buffer);
}

/** The largest |a − b| over two equally long arrays. */
export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
