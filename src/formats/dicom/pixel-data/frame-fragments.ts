import type { DataSet, Element, Fragment } from 'dicom-parser';
import { PixelDataError } from './errors.ts';

/**
 * The compressed bytes of one frame of encapsulated pixel data (PS3.5 §A.4): a sequence
 * of fragments, preceded by a Basic Offset Table that may be empty. Which fragments make
 * a frame is decided, in order, by:
 *   1. a single-frame image: all fragments;
 *   2. the Extended Offset Table (7FE0,0001), when present;
 *   3. the Basic Offset Table, when it has one entry per frame;
 *   4. one fragment per frame, when the counts match;
 *   5. fragments that begin a codestream (JPEG/JPEG-LS SOI, JPEG 2000 SOC or JP2
 *      signature), when there is one such fragment per frame.
 * dicom-parser has already located the fragments (element.fragments, offsets relative
 * to the first fragment's item tag, as the offset tables count them).
 */
export function encapsulatedFrameBytes(dataSet: DataSet, element: Element, frameIndex: number, numberOfFrames: number): Uint8Array {
  const fragments = element.fragments;
  if (!element.encapsulatedPixelData || !fragments) {
    throw new PixelDataError('the transfer syntax is compressed, but the pixel data is not encapsulated (no fragments)');
  }
  if (fragments.length === 0) throw new PixelDataError('encapsulated pixel data has no fragments');
  checkFragmentsInFile(dataSet, fragments);

  const [first, count] = frameFragmentRange(dataSet, element, fragments, frameIndex, numberOfFrames);
  if (count === 1) return dataSet.byteArray.subarray(fragments[first].position, fragments[first].position + fragments[first].length);
  let total = 0;
  for (let k = first; k < first + count; k++) total += fragments[k].length;
  const frame = new Uint8Array(total);
  let at = 0;
  for (let k = first; k < first + count; k++) {
    const { position, length } = fragments[k];
    frame.set(dataSet.byteArray.subarray(position, position + length), at);
    at += length;
  }
  return frame;
}

function checkFragmentsInFile(dataSet: DataSet, fragments: Fragment[]): void {
  const fileLength = dataSet.byteArray.length;
  fragments.forEach((fragment, k) => {
    if (fragment.position + fragment.length > fileLength) {
      const present = Math.max(0, fileLength - fragment.position);
      throw new PixelDataError(
        `pixel data shorter than declared (fragment ${k + 1} of ${fragments.length} has ${present} of ${fragment.length} bytes)`,
      );
    }
  });
}

/** [index of the frame's first fragment, number of fragments]. */
function frameFragmentRange(
  dataSet: DataSet,
  element: Element,
  fragments: Fragment[],
  frameIndex: number,
  numberOfFrames: number,
): [number, number] {
  if (numberOfFrames === 1) return [0, fragments.length];

  const offsets = extendedOffsetTable(dataSet) ?? element.basicOffsetTable ?? [];
  if (offsets.length === numberOfFrames) {
    const starts = offsets.map((offset) => fragments.findIndex((fragment) => fragment.offset === offset));
    if (starts.every((start, i) => start >= 0 && (i === 0 || start > starts[i - 1]))) {
      return rangeFromStarts(starts, frameIndex, fragments.length);
    }
  }
  if (fragments.length === numberOfFrames) return [frameIndex, 1];

  const starts: number[] = [];
  fragments.forEach((fragment, k) => {
    if (beginsCodestream(dataSet.byteArray, fragment.position, fragment.length)) starts.push(k);
  });
  if (starts.length === numberOfFrames && starts[0] === 0) return rangeFromStarts(starts, frameIndex, fragments.length);

  throw new PixelDataError(
    `cannot tell which of the ${fragments.length} pixel data fragments make frame ${frameIndex + 1} of ${numberOfFrames} (no usable offset table)`,
  );
}

function rangeFromStarts(starts: number[], frameIndex: number, fragmentCount: number): [number, number] {
  const end = frameIndex + 1 < starts.length ? starts[frameIndex + 1] : fragmentCount;
  return [starts[frameIndex], end - starts[frameIndex]];
}

/** Extended Offset Table (7FE0,0001): 64-bit little-endian offsets, one per frame. */
function extendedOffsetTable(dataSet: DataSet): number[] | undefined {
  const element = dataSet.elements.x7fe00001;
  if (!element || element.length === 0 || element.length % 8 !== 0) return undefined;
  if (element.dataOffset + element.length > dataSet.byteArray.length) return undefined;
  const bytes = dataSet.byteArray;
  const view = new DataView(bytes.buffer, bytes.byteOffset + element.dataOffset, element.length);
  const offsets: number[] = [];
  for (let at = 0; at < element.length; at += 8) offsets.push(Number(view.getBigUint64(at, true)));
  return offsets;
}

/** JPEG and JPEG-LS start with SOI (FFD8), a JPEG 2000 codestream with SOC+SIZ (FF4F FF51), a JP2 file with its signature box. */
function beginsCodestream(bytes: Uint8Array, position: number, length: number): boolean {
  if (length < 4) return false;
  const b = (k: number) => bytes[position + k];
  if (b(0) === 0xff && b(1) === 0xd8 && b(2) === 0xff) return true;
  if (b(0) === 0xff && b(1) === 0x4f && b(2) === 0xff && b(3) === 0x51) return true;
  return length >= 8 && b(0) === 0 && b(1) === 0 && b(2) === 0 && b(3) === 0x0c && b(4) === 0x6a && b(5) === 0x50;
}
