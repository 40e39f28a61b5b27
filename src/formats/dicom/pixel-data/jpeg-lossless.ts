import { Decoder } from 'jpeg-lossless-decoder-js';
import { describeCodecFailure, PixelDataError } from './errors.ts';
import { describeSof, readJpegFrameHeader, SOF_LOSSLESS } from './jpeg-markers.ts';
import { checkDecodedSize, storedPixelsFromSamples, type PixelLayout, type StoredPixels } from './pixel-layout.ts';

/**
 * JPEG Lossless, process 14 (any selection value, so also SV1), through the pure
 * JavaScript jpeg-lossless-decoder-js. It decodes unsigned samples of up to 16 bits;
 * signed data comes back as its bit pattern and is sign-extended afterwards.
 */
export function decodeJpegLosslessFrame(encoded: Uint8Array, layout: PixelLayout): StoredPixels {
  const header = readJpegFrameHeader(encoded);
  if (!header) throw new PixelDataError('the JPEG Lossless frame has no JPEG frame header');
  if (header.sof !== SOF_LOSSLESS) {
    throw new PixelDataError(`the JPEG Lossless frame is coded as ${describeSof(header.sof)} JPEG, not lossless (process 14)`);
  }
  checkDecodedSize('JPEG Lossless', header.cols, header.rows, header.components, layout);
  let samples: Uint8Array | Uint16Array;
  try {
    samples = new Decoder().decode(encoded.buffer as ArrayBuffer, encoded.byteOffset, encoded.length);
  } catch (error) {
    throw new PixelDataError(`JPEG Lossless data could not be decoded: ${describeCodecFailure(error)}`, { cause: error });
  }
  const pixels = layout.rows * layout.cols;
  if (samples.length !== pixels) {
    throw new PixelDataError(`JPEG Lossless frame decoded to ${samples.length} samples, ${layout.rows} × ${layout.cols} needs ${pixels}`);
  }
  return storedPixelsFromSamples(samples, layout);
}
