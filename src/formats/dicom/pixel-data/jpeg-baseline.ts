import { libJpegTurbo, runCodec } from './codecs.ts';
import { PixelDataError } from './errors.ts';
import { describeSof, readJpegFrameHeader, SOF_BASELINE, SOF_EXTENDED, SOF_PROGRESSIVE } from './jpeg-markers.ts';
import { checkDecodedSize, storedPixelsFromSamples, type PixelLayout, type StoredPixels } from './pixel-layout.ts';

/**
 * Lossy JPEG, baseline (process 1) and extended (process 2), through libjpeg-turbo.
 * The installed build is 8-bit only, so 12-bit extended JPEG (process 4) is refused with
 * a reason rather than decoded wrongly; no installed package decodes it.
 */
export async function decodeJpegBaselineFrame(encoded: Uint8Array, layout: PixelLayout): Promise<StoredPixels> {
  const header = readJpegFrameHeader(encoded);
  if (!header) throw new PixelDataError('the JPEG frame has no JPEG frame header');
  if (header.sof !== SOF_BASELINE && header.sof !== SOF_EXTENDED && header.sof !== SOF_PROGRESSIVE) {
    throw new PixelDataError(`${describeSof(header.sof)} JPEG is not supported in this transfer syntax`);
  }
  if (header.precision !== 8) {
    throw new PixelDataError(
      `${header.precision}-bit lossy JPEG (JPEG Extended, process 4) is not supported: no ${header.precision}-bit JPEG decoder is available`,
    );
  }
  checkDecodedSize('JPEG', header.cols, header.rows, header.components, layout);
  const codec = await libJpegTurbo.get();
  const { bytes } = runCodec(
    'JPEG',
    libJpegTurbo,
    new codec.JPEGDecoder(),
    encoded,
    (frame) => checkDecodedSize('JPEG', frame.width, frame.height, frame.componentCount, layout),
    (decoder) => decoder.readHeader(),
  );
  return storedPixelsFromSamples(bytes, layout);
}
