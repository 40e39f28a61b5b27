import dicomParser, { type DataSet } from 'dicom-parser';
import { inflateSync } from 'fflate';

const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
const DEFLATE_BOMB_LIMIT = 2 * 1024 ** 3;

/** Why a file is not a readable DICOM data set; the reason goes to `skipped`. */
export class NotDicomError extends Error {
  override readonly name = 'NotDicomError';
  constructor(readonly reason: string) {
    super(reason);
  }
}

/**
 * Parses a DICOM file. Part 10 files are the norm; a bare data set without preamble and
 * meta header (still written by old modalities) is accepted when it starts with a group
 * 0008 element, read as implicit VR little endian as PS3.5 makes it the default.
 * A truncated file still yields the part that was read, with `truncated` set, so the
 * caller can say what was cut.
 */
export function parseDicomBytes(bytes: Uint8Array): { dataSet: DataSet; truncated: boolean } {
  assertDicomStart(bytes, bytes.length);
  const hasPreamble = hasPart10Preamble(bytes);
  const options = {
    inflater: inflateDeflatedBody,
    ...(hasPreamble ? {} : { TransferSyntaxUID: bareDataSetSyntax(bytes) }),
  };
  try {
    const dataSet = dicomParser.parseDicom(bytes, options);
    return { dataSet, truncated: cutOverrunningElements(dataSet, bytes.length) };
  } catch (thrown) {
    // dicom-parser throws strings, or objects carrying the partial data set.
    const partial = (thrown as { dataSet?: DataSet } | undefined)?.dataSet;
    const message = describeThrown(thrown);
    // A partial data set means the file ended (or broke) part-way through. It lacks the
    // file meta information, so merge that back in: the transfer syntax decides the rest.
    if (partial && Object.keys(partial.elements).length > 0) {
      if (hasPreamble) {
        try {
          for (const [tag, element] of Object.entries(dicomParser.readPart10Header(bytes).elements)) partial.elements[tag] ??= element;
        } catch {
          // the meta header itself is cut: nothing to merge
        }
      }
      cutOverrunningElements(partial, bytes.length);
      return { dataSet: partial, truncated: true };
    }
    throw new NotDicomError(`truncated or corrupt DICOM (${message.replace(/^dicomParser[.:][A-Za-z0-9.]*:\s*/, '')})`);
  }
}

function hasPart10Preamble(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

/** Throws NotDicomError unless the first bytes of a file of `fileSize` bytes can start a DICOM data set. */
export function assertDicomStart(head: Uint8Array, fileSize: number): void {
  if (hasPart10Preamble(head) || looksLikeBareDataSet(head)) return;
  throw new NotDicomError(
    fileSize < 132 ? `not a DICOM file (only ${fileSize} bytes)` : 'not a DICOM file (no DICM signature at byte 128)',
  );
}

/**
 * Parses only up to the Pixel Data element of the first bytes of a file, for a scan that
 * needs the header alone. Returns null when those bytes are not enough to be sure of it:
 * the header runs past them, the data set is deflated, or the pixel data is compressed
 * (whose fragments must be read to tell a truncated file); the caller then reads it all.
 */
export function parseDicomHeader(head: Uint8Array): DataSet | null {
  if (!hasPart10Preamble(head)) return null;
  let dataSet: DataSet;
  try {
    dataSet = dicomParser.parseDicom(head, { untilTag: PIXEL_DATA } as dicomParser.ParseDicomOptions);
  } catch {
    return null;
  }
  // Elements before the pixel data that run past these bytes: a header too long or too
  // broken to judge from them.
  if (cutOverrunningElements(dataSet, head.length, PIXEL_DATA)) return null;
  const syntax = dataSet.string('x00020010')?.replace(/\0/g, '').trim();
  if (!dataSet.elements[PIXEL_DATA] || !syntax || !NATIVE_SYNTAXES.has(syntax)) return null;
  return dataSet;
}

const PIXEL_DATA = 'x7fe00010';
const NATIVE_SYNTAXES = new Set([IMPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN, '1.2.840.10008.1.2.2']);

function looksLikeBareDataSet(bytes: Uint8Array): boolean {
  // Group 0008, little endian, element number small: the usual first element of a bare data set.
  return bytes.length >= 8 && bytes[0] === 0x08 && bytes[1] === 0x00 && bytes[3] === 0x00;
}

/** A bare data set carries no transfer syntax: an explicit VR shows as two capitals after the first tag. */
function bareDataSetSyntax(bytes: Uint8Array): string {
  const isCapital = (byte: number | undefined) => byte !== undefined && byte >= 0x41 && byte <= 0x5a;
  return isCapital(bytes[4]) && isCapital(bytes[5]) ? EXPLICIT_VR_LITTLE_ENDIAN : IMPLICIT_VR_LITTLE_ENDIAN;
}

function inflateDeflatedBody(bytes: Uint8Array, position: number): Uint8Array {
  const inflated = inflateSync(bytes.subarray(position));
  if (inflated.length > DEFLATE_BOMB_LIMIT) throw new NotDicomError('deflated data set inflates past 2 GiB');
  const whole = new Uint8Array(position + inflated.length);
  whole.set(bytes.subarray(0, position), 0);
  whole.set(inflated, position);
  return whole;
}

function describeThrown(thrown: unknown): string {
  if (typeof thrown === 'string') return thrown;
  if (thrown instanceof Error) return thrown.message;
  const exception = (thrown as { exception?: unknown } | undefined)?.exception;
  if (typeof exception === 'string') return exception;
  if (exception instanceof Error) return exception.message;
  return String(thrown);
}

/**
 * dicom-parser can return elements (or items of sequences) whose declared length runs
 * past the end of the bytes without saying so, e.g. a body parsed with the wrong VR
 * rule; reading such an element's value then throws. Cuts each one to the bytes present
 * (pixel data is left as it is: its readers compare its length with the file) and says
 * whether any ran past the end, not counting `tolerated` (pixel data that continues
 * beyond the head of a file).
 */
function cutOverrunningElements(dataSet: DataSet, end: number, tolerated?: string): boolean {
  let overran = false;
  for (const [tag, element] of Object.entries(dataSet.elements)) {
    if (element.dataOffset + element.length > end) {
      if (tag !== tolerated) overran = true;
      if (tag !== PIXEL_DATA) element.length = Math.max(0, end - element.dataOffset);
    }
    for (const item of element.items ?? []) if (item.dataSet && cutOverrunningElements(item.dataSet, end, tolerated)) overran = true;
  }
  return overran;
}
