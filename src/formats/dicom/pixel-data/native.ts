import type { DataSet, Element } from 'dicom-parser';
import { PixelDataError } from './errors.ts';
import { allocateStoredPixels, storedValueOf, type PixelLayout, type StoredPixels } from './pixel-layout.ts';

/**
 * Native (uncompressed) pixel data, PS3.5 §8.1.1 and §8.2: frames follow each other
 * without padding, samples little endian, or big endian under Explicit VR Big Endian.
 * 1-bit data is packed with the first pixel in the least significant bit, and frames
 * need not start on a byte boundary.
 */

/** Bytes the whole native pixel data must have: frames × rows × cols × samples × bits. */
export function nativeByteLength(layout: PixelLayout): number {
  const bits = layout.numberOfFrames * layout.rows * layout.cols * layout.samplesPerPixel * layout.bitsAllocated;
  return Math.ceil(bits / 8);
}

/**
 * Throws when the element, or the file holding it, is shorter than the header declares.
 * Called before anything is allocated, so a header that claims a huge image costs nothing.
 */
export function checkNativeLength(dataSet: DataSet, element: Element, layout: PixelLayout): void {
  const declared = nativeByteLength(layout);
  const inFile = Math.max(0, Math.min(element.length, dataSet.byteArray.length - element.dataOffset));
  if (inFile < declared) {
    const what =
      layout.numberOfFrames > 1
        ? `${layout.numberOfFrames} frames of ${layout.rows} × ${layout.cols} × ${layout.bitsAllocated} bits`
        : `${layout.rows} × ${layout.cols} × ${layout.bitsAllocated} bits`;
    throw new PixelDataError(`pixel data shorter than declared (${inFile} of ${declared} bytes for ${what})`);
  }
}

/** One frame of native Pixel Data (7FE0,0010) as stored values. */
export function decodeNativeFrame(
  dataSet: DataSet,
  element: Element,
  frameIndex: number,
  layout: PixelLayout,
  bigEndian: boolean,
): StoredPixels {
  checkNativeLength(dataSet, element, layout);
  const pixels = layout.rows * layout.cols;
  const bytes = dataSet.byteArray;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const toStored = storedValueOf(layout);
  const out = allocateStoredPixels(layout, pixels);

  switch (layout.bitsAllocated) {
    case 1: {
      const firstBit = element.dataOffset * 8 + frameIndex * pixels;
      for (let i = 0; i < pixels; i++) {
        const bit = firstBit + i;
        out[i] = (bytes[bit >>> 3] >>> (bit & 7)) & 1;
      }
      return out;
    }
    case 8: {
      const first = frameIndex * pixels; // byte index within the pixel data
      // Explicit VR Big Endian swaps the bytes of each 16-bit word when 8-bit data has VR OW.
      const flip = bigEndian && element.vr === 'OW' ? 1 : 0;
      for (let i = 0; i < pixels; i++) out[i] = toStored(bytes[element.dataOffset + ((first + i) ^ flip)]);
      return out;
    }
    case 16: {
      const start = element.dataOffset + frameIndex * pixels * 2;
      if (!bigEndian) return decodeLittleEndian16(bytes, start, pixels, layout, out as Int16Array | Uint16Array);
      const littleEndian = !bigEndian;
      for (let i = 0; i < pixels; i++) out[i] = toStored(view.getUint16(start + 2 * i, littleEndian));
      return out;
    }
    default: {
      const start = element.dataOffset + frameIndex * pixels * 4;
      const littleEndian = !bigEndian;
      for (let i = 0; i < pixels; i++) out[i] = toStored(view.getUint32(start + 4 * i, littleEndian));
      return out;
    }
  }
}

/** One frame of Float Pixel Data (7FE0,0008, VR OF), which has no BitsStored or sign to apply. */
export function decodeFloatFrame(
  dataSet: DataSet,
  element: Element,
  frameIndex: number,
  layout: PixelLayout,
  bigEndian: boolean,
): Float32Array {
  checkNativeLength(dataSet, element, layout);
  const pixels = layout.rows * layout.cols;
  const bytes = dataSet.byteArray;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = element.dataOffset + frameIndex * pixels * 4;
  const out = new Float32Array(pixels);
  for (let i = 0; i < pixels; i++) out[i] = view.getFloat32(start + 4 * i, !bigEndian);
  return out;
}

/**
 * The common case (16-bit little endian, most CT and MR) as one block copy through a
 * typed view, then an in-place mask only when bits above BitsStored must be cleared:
 * the per-pixel DataView path is ten times slower.
 */
function decodeLittleEndian16(
  bytes: Uint8Array,
  start: number,
  pixels: number,
  layout: PixelLayout,
  out: Int16Array | Uint16Array,
): StoredPixels {
  new Uint8Array(out.buffer, out.byteOffset, pixels * 2).set(bytes.subarray(start, start + pixels * 2));
  const shift = layout.highBit + 1 - layout.bitsStored;
  if (layout.bitsStored === 16 && shift === 0) return out;
  const toStored = storedValueOf(layout, shift);
  const raw = new Uint16Array(out.buffer, out.byteOffset, pixels);
  for (let i = 0; i < pixels; i++) out[i] = toStored(raw[i]);
  return out;
}
