/**
 * Reads the frame header (SOFn) of a JPEG or JPEG-LS codestream without decoding it
 * (ITU T.81 §B.2, T.87 §5.1), so that a frame can be routed to the right decoder and its
 * size checked before a codec allocates anything.
 */
export interface JpegFrameHeader {
  /** The SOF marker's second byte: 0xC0 baseline, 0xC1 extended, 0xC3 lossless, 0xF7 JPEG-LS, … */
  sof: number;
  precision: number;
  rows: number;
  cols: number;
  components: number;
}

export const SOF_BASELINE = 0xc0;
export const SOF_EXTENDED = 0xc1;
export const SOF_PROGRESSIVE = 0xc2;
export const SOF_LOSSLESS = 0xc3;
export const SOF_JPEG_LS = 0xf7;

/** Undefined when the bytes are not a JPEG codestream or end before the frame header. */
export function readJpegFrameHeader(bytes: Uint8Array): JpegFrameHeader | undefined {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // markers without a length
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return undefined; // scan or end before any frame header
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    if (length < 2) return undefined;
    if (isFrameHeader(marker)) {
      if (at + 10 > bytes.length) return undefined;
      return {
        sof: marker,
        precision: bytes[at + 4],
        rows: (bytes[at + 5] << 8) | bytes[at + 6],
        cols: (bytes[at + 7] << 8) | bytes[at + 8],
        components: bytes[at + 9],
      };
    }
    at += 2 + length;
  }
  return undefined;
}

function isFrameHeader(marker: number): boolean {
  if (marker === SOF_JPEG_LS) return true;
  // SOF0–SOF15 are C0–CF, except C4 (DHT), C8 (reserved) and CC (DAC).
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

export function describeSof(sof: number): string {
  switch (sof) {
    case SOF_BASELINE:
      return 'baseline';
    case SOF_EXTENDED:
      return 'extended sequential';
    case SOF_PROGRESSIVE:
      return 'progressive';
    case SOF_LOSSLESS:
      return 'lossless';
    case SOF_JPEG_LS:
      return 'JPEG-LS';
    default:
      return `SOF${(sof & 0x0f).toString()} ${sof >= 0xc9 ? 'arithmetic-coded' : 'hierarchical'}`;
  }
}
