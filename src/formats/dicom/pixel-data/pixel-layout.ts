import { PixelDataError } from './errors.ts';

/** What the image pixel module (PS3.3 C.7.6.3) says about the pixel data, plus the transfer syntax. */
export interface PixelLayout {
  transferSyntaxUid: string;
  rows: number;
  cols: number;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  pixelRepresentation: 0 | 1;
  samplesPerPixel: number;
  photometricInterpretation: string;
  planarConfiguration: number;
  numberOfFrames: number;
}

/**
 * The stored values of one frame, rows × cols, row after row (before the modality LUT).
 * The array type follows BitsAllocated and PixelRepresentation: 1 and 8 → (U)Int8,
 * 16 → (U)Int16, 32 → (U)Int32; Float Pixel Data → Float32.
 */
export type StoredPixels = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array;

/**
 * Frames larger than this are refused before anything is allocated: no CT or MR slice
 * comes near it (16384 × 16384), and a compressed frame's header could otherwise make a
 * codec allocate gigabytes from a few bytes of input.
 */
export const MAX_FRAME_PIXELS = 16384 * 16384;

/**
 * Throws a PixelDataError when the layout cannot describe a grayscale frame we decode.
 * Float Pixel Data has no BitsStored, HighBit or PixelRepresentation to check.
 */
export function checkLayout(layout: PixelLayout, frameIndex: number, floatPixels = false): void {
  const { rows, cols, bitsAllocated, bitsStored, highBit, samplesPerPixel, numberOfFrames } = layout;
  const photometric = layout.photometricInterpretation.trim().toUpperCase();
  if (samplesPerPixel !== 1) {
    throw new PixelDataError(
      `colour images (samples per pixel ${samplesPerPixel}, ${photometric || 'no photometric interpretation'}) are not supported`,
    );
  }
  if (photometric === 'PALETTE COLOR') {
    throw new PixelDataError('colour images (samples per pixel 1, PALETTE COLOR) are not supported');
  }
  if (!isPositiveInteger(rows) || !isPositiveInteger(cols)) {
    throw new PixelDataError(`invalid image size: ${rows} rows × ${cols} columns`);
  }
  if (rows * cols > MAX_FRAME_PIXELS) {
    throw new PixelDataError(`frame of ${rows} × ${cols} pixels is larger than we decode (at most ${MAX_FRAME_PIXELS} pixels)`);
  }
  if (floatPixels) {
    if (bitsAllocated !== 32) throw new PixelDataError(`float pixel data with bits allocated ${bitsAllocated} (expected 32)`);
  } else if (![1, 8, 16, 32].includes(bitsAllocated)) {
    throw new PixelDataError(`unsupported bits allocated ${bitsAllocated} (expected 1, 8, 16 or 32)`);
  } else if (!Number.isInteger(bitsStored) || bitsStored < 1 || bitsStored > bitsAllocated) {
    throw new PixelDataError(`invalid bits stored ${bitsStored} for bits allocated ${bitsAllocated}`);
  } else if (!Number.isInteger(highBit) || highBit < bitsStored - 1 || highBit >= bitsAllocated) {
    throw new PixelDataError(`invalid high bit ${highBit} for bits stored ${bitsStored} and bits allocated ${bitsAllocated}`);
  }
  if (!isPositiveInteger(numberOfFrames)) {
    throw new PixelDataError(`invalid number of frames ${numberOfFrames}`);
  }
  if (!Number.isInteger(frameIndex) || frameIndex < 0 || frameIndex >= numberOfFrames) {
    throw new PixelDataError(`frame ${frameIndex} requested, but the image has ${numberOfFrames} frame(s)`);
  }
}

function isPositiveInteger(value: number): boolean {
  return Number.isInteger(value) && value > 0;
}

/** An empty array of the type that holds this layout's stored values. */
export function allocateStoredPixels(
  layout: PixelLayout,
  length: number,
): Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array {
  const signed = layout.pixelRepresentation === 1;
  switch (layout.bitsAllocated) {
    case 1:
      return new Uint8Array(length);
    case 8:
      return signed ? new Int8Array(length) : new Uint8Array(length);
    case 16:
      return signed ? new Int16Array(length) : new Uint16Array(length);
    default:
      return signed ? new Int32Array(length) : new Uint32Array(length);
  }
}

/**
 * A function from a sample as it sits in its bits-allocated cell to the stored value:
 * shifted down so that HighBit lands on bit BitsStored − 1, masked to BitsStored (bits
 * above it may hold overlays or junk) and, when PixelRepresentation is 1, sign-extended
 * from bit BitsStored − 1.
 */
export function storedValueOf(layout: PixelLayout, shift = layout.highBit + 1 - layout.bitsStored): (raw: number) => number {
  const bits = layout.bitsStored;
  const signed = layout.pixelRepresentation === 1;
  if (bits >= 32) return signed ? (raw) => (raw >>> shift) | 0 : (raw) => raw >>> shift;
  const mask = 2 ** bits - 1;
  const spare = 32 - bits;
  if (signed) return (raw) => (((raw >>> shift) & mask) << spare) >> spare;
  return (raw) => (raw >>> shift) & mask;
}

/**
 * Stored values from a codec's decoded samples (one sample per pixel, aligned at bit 0
 * as compressed syntaxes require). Lossy encoders may overshoot the stored range by a
 * little (dcmtk's near-lossless JPEG-LS turns 4095 into 4097 with 12 bits stored;
 * OpenJPEG gives −2052 for −2048), so values are clamped to the range rather than
 * masked, which would wrap such a pixel to the other end of the scale:
 * - unsigned data: clamped to [0, 2^BitsStored − 1];
 * - signed data the codec returns as signed values (Int8Array/Int16Array, JPEG 2000):
 *   clamped to [−2^(BitsStored−1), 2^(BitsStored−1) − 1];
 * - signed data the codec returns as unsigned bit patterns (JPEG, JPEG Lossless,
 *   JPEG-LS, and JPEG 2000 codestreams that disagree with PixelRepresentation): masked
 *   to BitsStored and sign-extended.
 */
export function storedPixelsFromSamples(samples: ArrayLike<number>, layout: PixelLayout): StoredPixels {
  const out = allocateStoredPixels(layout, samples.length);
  const bits = layout.bitsStored;
  const signedValues = samples instanceof Int8Array || samples instanceof Int16Array || samples instanceof Int32Array;
  if (layout.pixelRepresentation === 1 && !signedValues) {
    const toStored = storedValueOf(layout, 0);
    for (let i = 0; i < samples.length; i++) out[i] = toStored(samples[i]);
    return out;
  }
  const min = layout.pixelRepresentation === 1 ? -(2 ** (bits - 1)) : 0;
  const max = layout.pixelRepresentation === 1 ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  for (let i = 0; i < samples.length; i++) {
    const value = samples[i];
    out[i] = value < min ? min : value > max ? max : value;
  }
  return out;
}

/** Throws unless a decoded frame has the layout's rows × cols (checked before its samples are copied). */
export function checkDecodedSize(codec: string, width: number, height: number, components: number, layout: PixelLayout): void {
  if (components !== layout.samplesPerPixel) {
    throw new PixelDataError(`${codec} frame has ${components} components, the header says ${layout.samplesPerPixel} sample(s) per pixel`);
  }
  if (width !== layout.cols || height !== layout.rows) {
    throw new PixelDataError(`${codec} frame is ${height} × ${width} pixels, the header says ${layout.rows} × ${layout.cols}`);
  }
}
