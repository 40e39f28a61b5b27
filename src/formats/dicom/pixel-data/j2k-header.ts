/**
 * Reads the image size from a JPEG 2000 codestream's SIZ marker segment (T.800 §A.5.1),
 * or from the codestream inside a JP2 file (some writers wrap DICOM frames in JP2,
 * which is not conformant but common), without decoding: OpenJPEG's decoder does not
 * report the size until it has decoded, and a frame must be checked before that.
 */
export interface J2kSize {
  rows: number;
  cols: number;
  components: number;
  /** Bits per sample of the first component. */
  precision: number;
  signed: boolean;
}

export function readJ2kSize(bytes: Uint8Array): J2kSize | undefined {
  const start = codestreamStart(bytes);
  if (start === undefined) return undefined;
  const p = start + 2; // SIZ follows SOC directly
  if (p + 43 > bytes.length || bytes[p] !== 0xff || bytes[p + 1] !== 0x51) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const xsiz = view.getUint32(p + 6);
  const ysiz = view.getUint32(p + 10);
  const xosiz = view.getUint32(p + 14);
  const yosiz = view.getUint32(p + 18);
  const ssiz = bytes[p + 40];
  return {
    cols: xsiz - xosiz,
    rows: ysiz - yosiz,
    components: view.getUint16(p + 38),
    precision: (ssiz & 0x7f) + 1,
    signed: (ssiz & 0x80) !== 0,
  };
}

/** Offset of SOC (FF4F): 0 for a bare codestream, inside the 'jp2c' box for JP2. */
function codestreamStart(bytes: Uint8Array): number | undefined {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0x4f) return 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at + 8 <= bytes.length) {
    let length = view.getUint32(at);
    const type = view.getUint32(at + 4);
    let header = 8;
    if (length === 1) {
      if (at + 16 > bytes.length) return undefined;
      length = Number(view.getBigUint64(at + 8));
      header = 16;
    } else if (length === 0) {
      length = bytes.length - at; // the last box runs to the end
    }
    if (type === 0x6a703263 /* 'jp2c' */) {
      const soc = at + header;
      return soc + 1 < bytes.length && bytes[soc] === 0xff && bytes[soc + 1] === 0x4f ? soc : undefined;
    }
    if (length < header) return undefined;
    at += length;
  }
  return undefined;
}
