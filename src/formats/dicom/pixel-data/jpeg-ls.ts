import { charLs, decodedSamples, runCodec } from './codecs.ts';
import { PixelDataError } from './errors.ts';
import { readJpegFrameHeader, SOF_JPEG_LS } from './jpeg-markers.ts';
import { checkDecodedSize, storedPixelsFromSamples, type PixelLayout, type StoredPixels } from './pixel-layout.ts';

/**
 * JPEG-LS lossless and near-lossless through CharLS. JPEG-LS codes unsigned samples;
 * signed DICOM data is stored as its two's-complement bit pattern in BitsStored bits,
 * which the sign extension in storedPixelsFromSamples restores.
 */
export async function decodeJpegLsFrame(encoded: Uint8Array, layout: PixelLayout): Promise<StoredPixels> {
  const header = readJpegFrameHeader(encoded);
  if (!header || header.sof !== SOF_JPEG_LS) {
    throw new PixelDataError('the JPEG-LS frame has no JPEG-LS frame header (SOF55)');
  }
  checkDecodedSize('JPEG-LS', header.cols, header.rows, header.components, layout);
  const codec = await charLs.get();
  const { info, bytes } = runCodec('JPEG-LS', charLs, new codec.JpegLSDecoder(), encoded, (frame) =>
    checkDecodedSize('JPEG-LS', frame.width, frame.height, frame.componentCount, layout),
  );
  return storedPixelsFromSamples(decodedSamples(bytes, { ...info, isSigned: false }), layout);
}
