import { PixelDataError } from './errors.ts';
import { decodeJpegBaselineFrame } from './jpeg-baseline.ts';
import { decodeJpegLosslessFrame } from './jpeg-lossless.ts';
import { decodeJpegLsFrame } from './jpeg-ls.ts';
import {
  describeSof,
  readJpegFrameHeader,
  SOF_BASELINE,
  SOF_EXTENDED,
  SOF_JPEG_LS,
  SOF_LOSSLESS,
  SOF_PROGRESSIVE,
} from './jpeg-markers.ts';
import type { PixelLayout, StoredPixels } from './pixel-layout.ts';

/**
 * A frame under any of the JPEG-family syntaxes (baseline/extended, lossless, JPEG-LS),
 * sent to the decoder its own frame header (SOFn) asks for. Files whose transfer syntax
 * names the wrong member of the family (lossless data labelled baseline, JPEG-LS labelled
 * JPEG Lossless) exist in the wild; the codestream is the better witness.
 */
export function decodeJpegFamilyFrame(encoded: Uint8Array, layout: PixelLayout): Promise<StoredPixels> | StoredPixels {
  const header = readJpegFrameHeader(encoded);
  if (!header) throw new PixelDataError('the frame is not a JPEG codestream (no SOI and frame header)');
  switch (header.sof) {
    case SOF_JPEG_LS:
      return decodeJpegLsFrame(encoded, layout);
    case SOF_LOSSLESS:
      return decodeJpegLosslessFrame(encoded, layout);
    case SOF_BASELINE:
    case SOF_EXTENDED:
    case SOF_PROGRESSIVE:
      return decodeJpegBaselineFrame(encoded, layout);
    default:
      throw new PixelDataError(`${describeSof(header.sof)} JPEG is not supported`);
  }
}
