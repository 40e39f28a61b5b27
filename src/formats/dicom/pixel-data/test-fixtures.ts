/**
 * Test-only helpers: load committed fixture files and build the PixelLayout the way the
 * header reader does. Imported by *.test.ts only, never by product code; it is the one
 * file in this layer that touches node:fs, because tests run under Node.
 */
// eslint-disable-next-line no-restricted-imports -- test-only: reads committed fixtures under Node
import { readFileSync } from 'node:fs';
import * as dicomParserModule from 'dicom-parser';
import type { DataSet } from 'dicom-parser';
import { inflateSync } from 'fflate';
import type { PixelLayout } from './pixel-layout.ts';

// dicom-parser is a UMD bundle: Node's ESM loader exposes it as the default export only.
const dicomParser: typeof dicomParserModule =
  (dicomParserModule as unknown as { default?: typeof dicomParserModule }).default ?? dicomParserModule;

const REPO = new URL('../../../../', import.meta.url);
export const GENERATED = new URL('tests/fixtures/dicom/', REPO);
export const REAL = new URL('tests/fixtures/real/', REPO);

export function readBytes(url: URL): Uint8Array {
  return new Uint8Array(readFileSync(url));
}

/**
 * parseDicom with an inflater for the deflated syntax. A file cut short makes parseDicom
 * throw { exception, dataSet } where dataSet holds what was read but lacks the file
 * meta information; it is merged back so that the transfer syntax is known.
 */
export function parse(bytes: Uint8Array): DataSet {
  try {
    return dicomParser.parseDicom(bytes, {
      inflater: (array: Uint8Array, position: number) => {
        const inflated = inflateSync(array.subarray(position));
        const whole = new Uint8Array(position + inflated.length);
        whole.set(array.subarray(0, position));
        whole.set(inflated, position);
        return whole;
      },
    } as dicomParserModule.ParseDicomOptions);
  } catch (error) {
    const partial = (error as { dataSet?: DataSet }).dataSet;
    if (!partial) throw error;
    const meta = dicomParser.readPart10Header(bytes);
    for (const [tag, element] of Object.entries(meta.elements)) partial.elements[tag] ??= element;
    return partial;
  }
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
  const dataSet = parse(readBytes(url));
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
