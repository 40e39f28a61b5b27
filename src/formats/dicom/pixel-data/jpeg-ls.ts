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
  // CharLS spends seconds (9–23 s for a 64 × 64 frame) before it rejects a codestream cut
  // short, and a truncated copy is the commonest damage: without its end-of-image marker
  // the frame is refused before CharLS sees it.
  if (!endsWithEndOfImage(encoded))
    throw new PixelDataError('JPEG-LS frame is truncated: it does not end with an end-of-image marker (FFD9)');
  const codec = await charLs.get();
  const { info, bytes } = runCodec('JPEG-LS', charLs, new codec.JpegLSDecoder(), encoded, (frame) =>
    checkDecodedSize('JPEG-LS', frame.width, frame.height, frame.componentCount, layout),
  );
  return storedPixelsFromSamples(decodedSamples(bytes, { ...info, isSigned: false }), layout);
}

/** The last bytes are EOI (FF D9), after any zero bytes that pad the fragment to an even length. */
function endsWithEndOfImage(encoded: Uint8Array): boolean {
  let end = encoded.length;
  while (end > 0 && encoded.length - end < 4 && encoded[end - 1] === 0) end--;
  return end >= 2 && encoded[end - 2] === 0xff && encoded[end - 1] === 0xd9;
}
