/**
 * A minimal DICOM Part 10 writer (explicit VR little endian body) that writes whatever
 * it is given: element values need not agree with each other or with the standard,
 * which is the point when generating hostile files. Also lists the "hot" byte offsets
 * of a parsed file (element lengths and small numeric/string values), where mutations
 * do the most damage.
 */
import dicomParser from 'dicom-parser';

export interface RawElement {
  tag: number; // (group << 16) | element
  vr: string;
  value: Uint8Array;
}

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT']);

function ascii(text: string): Uint8Array {
  const padded = text.length % 2 ? `${text} ` : text;
  return Uint8Array.from(padded, (c) => c.charCodeAt(0) & 0xff);
}

function uid(text: string): Uint8Array {
  const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
  if (bytes.length % 2 === 0) return bytes;
  const padded = new Uint8Array(bytes.length + 1);
  padded.set(bytes);
  return padded;
}

export const text = (tag: number, vr: string, value: string): RawElement => ({ tag, vr, value: vr === 'UI' ? uid(value) : ascii(value) });

export function us(tag: number, value: number): RawElement {
  const bytes = new Uint8Array(2);
  new DataView(bytes.buffer).setUint16(0, value & 0xffff, true);
  return { tag, vr: 'US', value: bytes };
}

function encodeElement(element: RawElement, undefinedLength = false): Uint8Array {
  const long = LONG_VRS.has(element.vr);
  const head = new Uint8Array(long ? 12 : 8);
  const view = new DataView(head.buffer);
  view.setUint16(0, element.tag >>> 16, true);
  view.setUint16(2, element.tag & 0xffff, true);
  head[4] = element.vr.charCodeAt(0);
  head[5] = element.vr.charCodeAt(1);
  if (long) view.setUint32(8, undefinedLength ? 0xffffffff : element.value.length, true);
  else view.setUint16(6, element.value.length & 0xffff, true);
  return concat([head, element.value]);
}

function item(tag: number, value: Uint8Array): Uint8Array {
  const head = new Uint8Array(8);
  const view = new DataView(head.buffer);
  view.setUint16(0, 0xfffe, true);
  view.setUint16(2, tag, true);
  view.setUint32(4, value.length, true);
  return concat([head, value]);
}

/** Encapsulated Pixel Data: a Basic Offset Table item, the fragments, the delimiter. */
export function encapsulated(offsets: number[], fragments: Uint8Array[]): Uint8Array {
  const table = new Uint8Array(offsets.length * 4);
  offsets.forEach((offset, i) => new DataView(table.buffer).setUint32(i * 4, offset >>> 0, true));
  const head = encodeElement({ tag: 0x7fe00010, vr: 'OB', value: new Uint8Array(0) }, true);
  return concat([head, item(0xe000, table), ...fragments.map((f) => item(0xe000, f)), item(0xe0dd, new Uint8Array(0))]);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A sequence of defined length whose items hold the given elements. */
export function sequence(tag: number, items: RawElement[][]): RawElement {
  return { tag, vr: 'SQ', value: concat(items.map((elements) => item(0xe000, concat(elements.map((e) => encodeElement(e)))))) };
}

/** Preamble, meta group (with its group length), then the body elements in the order given; `tail` is appended raw (e.g. encapsulated pixel data). */
export function part10(
  transferSyntax: string,
  body: RawElement[],
  tail: Uint8Array = new Uint8Array(0),
  mediaStorageClass = '1.2.840.10008.5.1.4.1.1.2',
): Uint8Array {
  const meta = concat([
    encodeElement({ tag: 0x00020001, vr: 'OB', value: new Uint8Array([0, 1]) }),
    encodeElement(text(0x00020002, 'UI', mediaStorageClass)),
    encodeElement(text(0x00020003, 'UI', '2.25.1')),
    encodeElement(text(0x00020010, 'UI', transferSyntax)),
  ]);
  const groupLength = new Uint8Array(4);
  new DataView(groupLength.buffer).setUint32(0, meta.length, true);
  const preamble = new Uint8Array(132);
  preamble.set([0x44, 0x49, 0x43, 0x4d], 128);
  return concat([
    preamble,
    encodeElement({ tag: 0x00020000, vr: 'UL', value: groupLength }),
    meta,
    ...body.map((e) => encodeElement(e)),
    tail,
  ]);
}

/** Where a parsed DICOM file's body begins: after the preamble and the meta group (0 when it does not parse). */
export function bodyStart(bytes: Uint8Array): number {
  try {
    const meta = dicomParser.readPart10Header(bytes);
    return Math.max(...Object.values(meta.elements).map((e) => e.dataOffset + e.length));
  } catch {
    return 0;
  }
}

/** Offsets worth mutating in a parsed DICOM file: each element's length field and its first value bytes (the transfer syntax among the meta elements). */
export function hotOffsets(bytes: Uint8Array): number[] {
  let dataSet: dicomParser.DataSet;
  try {
    dataSet = dicomParser.parseDicom(bytes);
  } catch {
    return [];
  }
  const body = bodyStart(bytes);
  const offsets: number[] = [];
  const syntax = dataSet.elements.x00020010;
  if (syntax) for (let k = 0; k < syntax.length; k++) offsets.push(syntax.dataOffset + k);
  const visit = (set: dicomParser.DataSet) => {
    for (const element of Object.values(set.elements)) {
      for (let k = 1; k <= 4; k++) if (element.dataOffset - k >= 0) offsets.push(element.dataOffset - k);
      for (let k = 0; k < Math.min(element.length, 8); k++) offsets.push(element.dataOffset + k);
      for (const fragment of element.fragments ?? []) for (let k = 1; k <= 4; k++) offsets.push(fragment.position - k);
      for (const child of element.items ?? []) if (child.dataSet) visit(child.dataSet);
    }
  };
  visit(dataSet);
  return [...new Set(offsets)]
    .filter((o) => o < bytes.length && (o >= body || (syntax && o >= syntax.dataOffset && o < syntax.dataOffset + syntax.length)))
    .sort((a, b) => a - b);
}
