/**
 * The transfer syntaxes whose pixel data we can decode (PS3.5 §10 and Annex A), and the
 * names of the ones we cannot, so that a refusal can say which encoding the file uses.
 */
export interface TransferSyntax {
  uid: string;
  name: string;
  /** Pixel data is a sequence of fragments (compressed), not one native byte string. */
  encapsulated: boolean;
  bigEndian: boolean;
  /** The whole data set after the file meta information is zlib-deflated. */
  deflated: boolean;
  lossy: boolean;
}

/** Which decoder reads the pixel data of a syntax. */
export type PixelCodec = 'native' | 'rle' | 'jpeg' | 'jpeg-lossless' | 'jpeg-ls' | 'jpeg2000';

interface SupportedSyntax extends TransferSyntax {
  codec: PixelCodec;
}

function syntax(uid: string, name: string, codec: PixelCodec, flags: Partial<TransferSyntax> = {}): SupportedSyntax {
  return {
    uid,
    name,
    codec,
    encapsulated: codec !== 'native',
    bigEndian: false,
    deflated: false,
    lossy: false,
    ...flags,
  };
}

const SUPPORTED: readonly SupportedSyntax[] = [
  syntax('1.2.840.10008.1.2', 'Implicit VR Little Endian', 'native'),
  syntax('1.2.840.10008.1.2.1', 'Explicit VR Little Endian', 'native'),
  syntax('1.2.840.10008.1.2.1.99', 'Deflated Explicit VR Little Endian', 'native', { deflated: true }),
  syntax('1.2.840.10008.1.2.2', 'Explicit VR Big Endian', 'native', { bigEndian: true }),
  syntax('1.2.840.10008.1.2.5', 'RLE Lossless', 'rle'),
  syntax('1.2.840.10008.1.2.4.50', 'JPEG Baseline (Process 1)', 'jpeg', { lossy: true }),
  // Only 8-bit data: the installed libjpeg-turbo build has no 12-bit path (see jpeg-baseline.ts).
  syntax('1.2.840.10008.1.2.4.51', 'JPEG Extended (Process 2 & 4)', 'jpeg', { lossy: true }),
  syntax('1.2.840.10008.1.2.4.57', 'JPEG Lossless, Non-Hierarchical (Process 14)', 'jpeg-lossless'),
  syntax(
    '1.2.840.10008.1.2.4.70',
    'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])',
    'jpeg-lossless',
  ),
  syntax('1.2.840.10008.1.2.4.80', 'JPEG-LS Lossless', 'jpeg-ls'),
  syntax('1.2.840.10008.1.2.4.81', 'JPEG-LS Lossy (Near-Lossless)', 'jpeg-ls', { lossy: true }),
  syntax('1.2.840.10008.1.2.4.90', 'JPEG 2000 Image Compression (Lossless Only)', 'jpeg2000'),
  syntax('1.2.840.10008.1.2.4.91', 'JPEG 2000 Image Compression', 'jpeg2000', { lossy: true }),
];

/** Names of syntaxes we recognise but cannot decode, for the refusal message. */
const UNSUPPORTED_NAMES: Readonly<Record<string, string>> = {
  '1.2.840.10008.1.2.1.98': 'Encapsulated Uncompressed Explicit VR Little Endian',
  '1.2.840.10008.1.2.4.52': 'JPEG Extended (Process 3 & 5) (retired)',
  '1.2.840.10008.1.2.4.53': 'JPEG Spectral Selection, Non-Hierarchical (Process 6 & 8) (retired)',
  '1.2.840.10008.1.2.4.54': 'JPEG Spectral Selection, Non-Hierarchical (Process 7 & 9) (retired)',
  '1.2.840.10008.1.2.4.55': 'JPEG Full Progression, Non-Hierarchical (Process 10 & 12) (retired)',
  '1.2.840.10008.1.2.4.56': 'JPEG Full Progression, Non-Hierarchical (Process 11 & 13) (retired)',
  '1.2.840.10008.1.2.4.58': 'JPEG Lossless, Non-Hierarchical (Process 15) (retired)',
  '1.2.840.10008.1.2.4.59': 'JPEG Extended, Hierarchical (Process 16 & 18) (retired)',
  '1.2.840.10008.1.2.4.60': 'JPEG Extended, Hierarchical (Process 17 & 19) (retired)',
  '1.2.840.10008.1.2.4.61': 'JPEG Spectral Selection, Hierarchical (Process 20 & 22) (retired)',
  '1.2.840.10008.1.2.4.62': 'JPEG Spectral Selection, Hierarchical (Process 21 & 23) (retired)',
  '1.2.840.10008.1.2.4.63': 'JPEG Full Progression, Hierarchical (Process 24 & 26) (retired)',
  '1.2.840.10008.1.2.4.64': 'JPEG Full Progression, Hierarchical (Process 25 & 27) (retired)',
  '1.2.840.10008.1.2.4.65': 'JPEG Lossless, Hierarchical (Process 28) (retired)',
  '1.2.840.10008.1.2.4.66': 'JPEG Lossless, Hierarchical (Process 29) (retired)',
  '1.2.840.10008.1.2.4.92': 'JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)',
  '1.2.840.10008.1.2.4.93': 'JPEG 2000 Part 2 Multi-component Image Compression',
  '1.2.840.10008.1.2.4.94': 'JPIP Referenced',
  '1.2.840.10008.1.2.4.95': 'JPIP Referenced Deflate',
  '1.2.840.10008.1.2.4.100': 'MPEG2 Main Profile / Main Level',
  '1.2.840.10008.1.2.4.101': 'MPEG2 Main Profile / High Level',
  '1.2.840.10008.1.2.4.102': 'MPEG-4 AVC/H.264 High Profile / Level 4.1',
  '1.2.840.10008.1.2.4.103': 'MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1',
  '1.2.840.10008.1.2.4.104': 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video',
  '1.2.840.10008.1.2.4.105': 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video',
  '1.2.840.10008.1.2.4.106': 'MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2',
  '1.2.840.10008.1.2.4.107': 'HEVC/H.265 Main Profile / Level 5.1',
  '1.2.840.10008.1.2.4.108': 'HEVC/H.265 Main 10 Profile / Level 5.1',
  '1.2.840.10008.1.2.4.110': 'JPEG XL Lossless',
  '1.2.840.10008.1.2.4.111': 'JPEG XL JPEG Recompression',
  '1.2.840.10008.1.2.4.112': 'JPEG XL',
  '1.2.840.10008.1.2.4.201': 'High-Throughput JPEG 2000 Image Compression (Lossless Only)',
  '1.2.840.10008.1.2.4.202': 'High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)',
  '1.2.840.10008.1.2.4.203': 'High-Throughput JPEG 2000 Image Compression',
  '1.2.840.10008.1.2.6.1': 'RFC 2557 MIME encapsulation (retired)',
  '1.2.840.10008.1.2.6.2': 'XML Encoding (retired)',
};

const BY_UID = new Map(SUPPORTED.map((entry) => [entry.uid, entry]));

/** UIDs are often padded to even length with a NUL or a space. */
function normalizeUid(uid: string): string {
  return uid.replace(/[\0 ]+$/, '').trim();
}

/** The syntax, when we can decode its pixel data; undefined when we cannot. */
export function describeTransferSyntax(uid: string): TransferSyntax | undefined {
  const entry = BY_UID.get(normalizeUid(uid));
  if (!entry) return undefined;
  const { codec: _codec, ...described } = entry;
  return described;
}

/** Which decoder handles a supported syntax (undefined when unsupported). */
export function pixelCodecOf(uid: string): PixelCodec | undefined {
  return BY_UID.get(normalizeUid(uid))?.codec;
}

/** "unsupported transfer syntax JPEG XL (1.2.840.10008.1.2.4.112)" */
export function unsupportedTransferSyntaxReason(uid: string): string {
  const clean = normalizeUid(uid);
  if (clean === '') return 'no transfer syntax given (file meta information lacks (0002,0010))';
  const name = UNSUPPORTED_NAMES[clean];
  return name ? `unsupported transfer syntax ${name} (${clean})` : `unsupported transfer syntax ${clean} (not a transfer syntax we know)`;
}
