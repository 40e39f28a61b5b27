import { decodedSamples, openJpeg, runCodec } from './codecs.ts';
import { PixelDataError } from './errors.ts';
import { readJ2kSize } from './j2k-header.ts';
import { checkDecodedSize, storedPixelsFromSamples, type PixelLayout, type StoredPixels } from './pixel-layout.ts';

/**
 * JPEG 2000 (lossless and lossy) through OpenJPEG. The SIZ header is read first so that
 * a codestream whose size disagrees with the DICOM header is refused before decoding.
 * OpenJPEG returns 8-bit samples for precisions up to 8, else 16-bit (signed when the
 * codestream says so); BitsStored and PixelRepresentation are applied afterwards (see
 * storedPixelsFromSamples): an unsigned codestream under PixelRepresentation 1 is read
 * as two's-complement bit patterns, as pydicom does.
 */
export async function decodeJpeg2000Frame(encoded: Uint8Array, layout: PixelLayout): Promise<StoredPixels> {
  const size = readJ2kSize(encoded);
  if (!size) throw new PixelDataError('the JPEG 2000 frame has no JPEG 2000 codestream header (SOC, SIZ)');
  checkDecodedSize('JPEG 2000', size.cols, size.rows, size.components, layout);
  const codec = await openJpeg.get();
  const { info, bytes } = runCodec('JPEG 2000', openJpeg, new codec.J2KDecoder(), encoded, (frame) => {
    // OpenJPEG does not throw on a broken codestream: it reports an empty frame.
    if (frame.componentCount === 0) throw new PixelDataError('JPEG 2000 data could not be decoded: corrupt or truncated codestream');
    checkDecodedSize('JPEG 2000', frame.width, frame.height, frame.componentCount, layout);
  });
  return storedPixelsFromSamples(decodedSamples(bytes, info), layout);
}
