import fc from 'fast-check';
import dicomParser from 'dicom-parser';
import { concat, encapsulated, part10, sequence, text, us, type RawElement } from '../helpers/raw-dicom.ts';
import { mutatedFile, type Seed } from './mutations.ts';

/**
 * Property-based inputs: files built from arbitrary header values rather than mutated
 * bytes, so that values no real file has (a frame count of 2e9, BitsStored 40, a
 * Basic Offset Table pointing past the end, a NIfTI vox_offset of -1) reach the readers
 * inside otherwise well-formed files.
 */
const SYNTAXES = [
  '1.2.840.10008.1.2',
  '1.2.840.10008.1.2.1',
  '1.2.840.10008.1.2.2',
  '1.2.840.10008.1.2.1.99',
  '1.2.840.10008.1.2.5',
  '1.2.840.10008.1.2.4.50',
  '1.2.840.10008.1.2.4.51',
  '1.2.840.10008.1.2.4.57',
  '1.2.840.10008.1.2.4.70',
  '1.2.840.10008.1.2.4.80',
  '1.2.840.10008.1.2.4.81',
  '1.2.840.10008.1.2.4.90',
  '1.2.840.10008.1.2.4.91',
  '1.2.840.10008.1.2.4.201',
  '1.2.840.10008.1.2.1.98',
];

const dimension = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, 255, 256, 4096, 8192, 8193, 32767, 65535) },
);
const decimalText = fc.oneof(
  fc.double({ noNaN: false }).map(String),
  fc.integer({ min: -5, max: 10 }).map(String),
  fc.constantFrom('', ' ', 'NaN', 'Infinity', '-0', '1e308', '2000000000', '4294967296', 'abc', '1\\2', '\\\\', '1e-320'),
);
const vectorText = fc.array(decimalText, { minLength: 0, maxLength: 7 }).map((values) => values.join('\\'));

/**
 * Values that make a readable file, with at most two fields replaced by hostile ones:
 * a file wrong in every field is refused by the first check, one wrong in a single field
 * reaches the code that trusts that field.
 */
type Arbitraries<T> = { [K in keyof T]: fc.Arbitrary<T[K]> };

function fewFieldsOff<T extends object>(coherent: Arbitraries<T>, hostile: Arbitraries<T>): fc.Arbitrary<T & { hostile: (keyof T)[] }> {
  const keys = Object.keys(hostile) as (keyof T)[];
  return fc
    .record({
      good: fc.record(coherent) as fc.Arbitrary<T>,
      bad: fc.record(hostile) as fc.Arbitrary<T>,
      which: fc.subarray(keys, { maxLength: 2 }),
    })
    .map(({ good, bad, which }) => {
      const merged: T = { ...good };
      for (const key of which) merged[key] = bad[key];
      return { ...merged, hostile: which };
    });
}

/** Codestream starts: real SOF/SIZ headers with chosen sizes, then arbitrary bytes. */
function jpegHeader(sof: number, precision: number, rows: number, cols: number, components: number): Uint8Array {
  return Uint8Array.from([0xff, 0xd8, 0xff, sof, 0, 11, precision, rows >> 8, rows & 0xff, cols >> 8, cols & 0xff, components, 1, 0x11, 0]);
}
function j2kHeader(rows: number, cols: number, components: number, precision: number): Uint8Array {
  const siz = new Uint8Array(2 + 2 + 38 + 3 * components);
  const view = new DataView(siz.buffer);
  view.setUint16(0, 0xff51);
  view.setUint16(2, siz.length - 2);
  view.setUint32(6, cols);
  view.setUint32(10, rows);
  view.setUint32(22, cols);
  view.setUint32(26, rows);
  view.setUint16(38, components);
  for (let c = 0; c < components; c++) siz.set([precision - 1, 1, 1], 40 + 3 * c);
  return concat([Uint8Array.from([0xff, 0x4f]), siz]);
}
const codestream = fc.oneof(
  fc.uint8Array({ maxLength: 512 }),
  fc
    .tuple(
      fc.constantFrom(0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc9, 0xf7),
      fc.integer({ min: 0, max: 17 }),
      dimension,
      dimension,
      fc.integer({ min: 0, max: 4 }),
      fc.uint8Array({ maxLength: 512 }),
    )
    .map(([sof, precision, rows, cols, components, tail]) => concat([jpegHeader(sof, precision, rows, cols, components), tail])),
  fc
    .tuple(dimension, dimension, fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 38 }), fc.uint8Array({ maxLength: 512 }))
    .map(([rows, cols, components, precision, tail]) => concat([j2kHeader(rows, cols, components, precision), tail])),
);

/** A DICOM image whose every header value is arbitrary, native or encapsulated. */
const ENCAPSULATED_SYNTAXES = new Set(SYNTAXES.slice(4));
interface DicomFields {
  syntax: string;
  sopClass: string;
  rows: number;
  cols: number;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  pixelRepresentation: number;
  samplesPerPixel: number;
  photometric: string;
  frames: string | null;
  slope: string | null;
  intercept: string | null;
  position: string | null;
  orientation: string | null;
  spacing: string | null;
  floatPixels: boolean;
  native: Uint8Array;
  exactSize: boolean;
  fragments: Uint8Array[];
  offsets: number[];
  encapsulate: boolean;
}
const hostileDicom: Arbitraries<DicomFields> = {
  syntax: fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...SYNTAXES) }, { weight: 1, arbitrary: fc.string({ maxLength: 64 }) }),
  sopClass: fc.constantFrom('1.2.840.10008.5.1.4.1.1.66.4', '1.2.840.10008.5.1.4.1.1.481.5', '1.2.840.10008.5.1.4.1.1.88.11', ''),
  rows: dimension,
  cols: dimension,
  bitsAllocated: fc.oneof(fc.constantFrom(0, 1, 8, 12, 24, 32, 64), fc.integer({ min: 0, max: 70 })),
  bitsStored: fc.integer({ min: 0, max: 40 }),
  highBit: fc.integer({ min: 0, max: 40 }),
  pixelRepresentation: fc.integer({ min: 0, max: 2 }),
  samplesPerPixel: fc.integer({ min: 0, max: 4 }),
  photometric: fc.constantFrom('RGB', 'YBR_FULL', 'PALETTE COLOR', '', 'MONOCHROME3'),
  frames: fc.option(fc.oneof(decimalText, fc.constantFrom('2', '3', '65536', '1000000', '2000000000')), { nil: null }),
  slope: fc.option(decimalText, { nil: null }),
  intercept: fc.option(decimalText, { nil: null }),
  position: fc.option(vectorText, { nil: null }),
  orientation: fc.option(vectorText, { nil: null }),
  spacing: fc.option(vectorText, { nil: null }),
  floatPixels: fc.boolean(),
  native: fc.uint8Array({ maxLength: 3000 }),
  exactSize: fc.constant(false),
  fragments: fc.array(codestream, { maxLength: 5 }),
  offsets: fc.array(fc.oneof(fc.nat({ max: 4000 }), fc.constant(0xffffffff)), { maxLength: 5 }),
  encapsulate: fc.boolean(),
};
const coherentDicom: Arbitraries<DicomFields> = {
  syntax: fc.constantFrom(...SYNTAXES.slice(0, 13)),
  sopClass: fc.constantFrom('1.2.840.10008.5.1.4.1.1.2', '1.2.840.10008.5.1.4.1.1.4'),
  rows: fc.integer({ min: 1, max: 32 }),
  cols: fc.integer({ min: 1, max: 32 }),
  bitsAllocated: fc.constantFrom(8, 16),
  bitsStored: fc.constant(8),
  highBit: fc.constant(7),
  pixelRepresentation: fc.integer({ min: 0, max: 1 }),
  samplesPerPixel: fc.constant(1),
  photometric: fc.constantFrom('MONOCHROME2', 'MONOCHROME1'),
  frames: fc.constantFrom(null, '1', '2', '3'),
  slope: fc.constantFrom(null, '1', '0.5'),
  intercept: fc.constantFrom(null, '0', '-1024'),
  position: fc.constantFrom(null, '-100\\-100\\20.5'),
  orientation: fc.constantFrom(null, '1\\0\\0\\0\\1\\0'),
  spacing: fc.constantFrom(null, '0.5\\0.5'),
  floatPixels: fc.constant(false),
  native: fc.uint8Array({ minLength: 1, maxLength: 64 }),
  exactSize: fc.constant(true),
  fragments: fc.array(codestream, { minLength: 1, maxLength: 3 }),
  offsets: fc.constant([]),
  encapsulate: fc.constant(false),
};

/** A DICOM image: readable but for a field or two with hostile values (any, for native or encapsulated pixel data). */
export const generatedDicom: fc.Arbitrary<{ name: string; bytes: Uint8Array }> = fewFieldsOff(coherentDicom, hostileDicom).map((v) => {
  const body: RawElement[] = [
    text(0x00080016, 'UI', v.sopClass),
    text(0x00080018, 'UI', '2.25.7'),
    text(0x00080060, 'CS', 'CT'),
    text(0x0020000d, 'UI', '2.25.8'),
    text(0x0020000e, 'UI', '2.25.9'),
  ];
  if (v.position !== null) body.push(text(0x00200032, 'DS', v.position));
  if (v.orientation !== null) body.push(text(0x00200037, 'DS', v.orientation));
  body.push(us(0x00280002, v.samplesPerPixel), text(0x00280004, 'CS', v.photometric));
  if (v.frames !== null) body.push(text(0x00280008, 'IS', v.frames));
  body.push(us(0x00280010, v.rows), us(0x00280011, v.cols));
  if (v.spacing !== null) body.push(text(0x00280030, 'DS', v.spacing));
  body.push(
    us(0x00280100, v.bitsAllocated),
    us(0x00280101, v.bitsStored),
    us(0x00280102, v.highBit < 0 ? v.bitsStored - 1 : v.highBit),
    us(0x00280103, v.pixelRepresentation),
  );
  if (v.intercept !== null) body.push(text(0x00281052, 'DS', v.intercept));
  if (v.slope !== null) body.push(text(0x00281053, 'DS', v.slope));
  const encapsulate = v.hostile.includes('encapsulate') ? v.encapsulate : ENCAPSULATED_SYNTAXES.has(v.syntax);
  const name = `generated ${v.syntax}${v.hostile.length ? `, hostile ${v.hostile.join(' and ')}` : ''}`;
  if (encapsulate) return { name, bytes: part10(v.syntax, body, encapsulated(v.offsets, v.fragments)) };
  const declared = Math.ceil((v.rows * v.cols * Math.max(1, Number(v.frames) || 1) * v.bitsAllocated) / 8);
  const pixels =
    v.exactSize && declared <= 1 << 20 ? repeatTo(v.native, declared + (declared & 1)) : v.native.subarray(0, v.native.length & ~1);
  body.push({ tag: v.floatPixels ? 0x7fe00008 : 0x7fe00010, vr: v.floatPixels ? 'OF' : 'OW', value: pixels });
  return { name, bytes: part10(v.syntax, body) };
});

function repeatTo(pattern: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  if (pattern.length > 0)
    for (let at = 0; at < length; at += pattern.length) out.set(pattern.subarray(0, Math.min(pattern.length, length - at)), at);
  return out;
}

interface CodecSample {
  syntax: string;
  header: RawElement[];
  fragments: Seed[];
  frames: number;
}

/** The layout elements and codestream fragments of a real encapsulated file, to rewrap around mutated codestreams. */
export function codecSample(bytes: Uint8Array): CodecSample | null {
  let dataSet: dicomParser.DataSet;
  try {
    dataSet = dicomParser.parseDicom(bytes);
  } catch {
    return null;
  }
  const pixels = dataSet.elements.x7fe00010;
  if (!pixels?.encapsulatedPixelData || !pixels.fragments?.length) return null;
  const header: RawElement[] = [];
  for (const tag of [
    'x00080016',
    'x00280002',
    'x00280004',
    'x00280008',
    'x00280010',
    'x00280011',
    'x00280100',
    'x00280101',
    'x00280102',
    'x00280103',
  ]) {
    const element = dataSet.elements[tag];
    if (!element) continue;
    const vr =
      element.vr ??
      (tag.startsWith('x002801') || tag === 'x00280010' || tag === 'x00280011' || tag === 'x00280002'
        ? 'US'
        : tag === 'x00280008'
          ? 'IS'
          : tag === 'x00080016'
            ? 'UI'
            : 'CS');
    header.push({ tag: parseInt(tag.slice(1), 16), vr, value: bytes.slice(element.dataOffset, element.dataOffset + element.length) });
  }
  // Edits land mostly after a codestream's first bytes (SOI/SOF, SOC/SIZ, the RLE header), in its tables and coded data.
  const fragments = pixels.fragments.map((fragment, k) => ({
    name: `fragment ${k + 1}`,
    bytes: bytes.slice(fragment.position, fragment.position + fragment.length),
    hot: [],
    body: Math.min(64, fragment.length >> 2),
  }));
  const frames = Math.max(1, Number(dataSet.string('x00280008') ?? 1) || 1);
  return { syntax: dataSet.string('x00020010')!.replace(/\0/g, '').trim(), header, fragments, frames };
}

/**
 * A real file's DICOM wrapping around mutated codestreams: the container stays valid, so
 * the mutations reach the codec itself (JPEG, JPEG-LS, JPEG 2000, RLE).
 */
export function rewrappedCodestreams(samples: { name: string; sample: CodecSample }[]): fc.Arbitrary<{ name: string; bytes: Uint8Array }> {
  return fc.nat({ max: samples.length - 1 }).chain((which) => {
    const { name, sample } = samples[which];
    return fc
      .array(mutatedFile(sample.fragments), { minLength: sample.fragments.length, maxLength: sample.fragments.length })
      .map((fragments) => {
        const sizes = fragments.map((f) => f.bytes.length + 8);
        const offsets =
          sample.frames > 1 && sample.frames === fragments.length ? sizes.map((_, k) => sizes.slice(0, k).reduce((a, b) => a + b, 0)) : [];
        return {
          name: `${name} with mutated codestream`,
          bytes: part10(
            sample.syntax,
            [...sample.header, text(0x00080018, 'UI', '2.25.7'), text(0x0020000e, 'UI', '2.25.9')].sort((a, b) => a.tag - b.tag),
            encapsulated(
              offsets,
              fragments.map((f) => f.bytes),
            ),
          ),
        };
      });
  });
}

/** A NIfTI-1 header of arbitrary field values (sizes, datatype, offsets, scaling, transforms) over arbitrary voxel bytes. */
const NIFTI_TYPES: Record<number, number> = { 2: 8, 4: 16, 8: 32, 16: 32, 64: 64, 256: 8, 512: 16, 768: 32, 1024: 64, 1280: 64 };
interface NiftiFields {
  sizeofHdr: number;
  dims: number[];
  datatype: number;
  bitpix: number;
  pixdim: number[];
  voxOffset: number;
  sclSlope: number;
  sclInter: number;
  qformCode: number;
  sformCode: number;
  quatern: number[];
  srow: number[];
  intent: number;
  bigEndian: boolean;
  magic: string;
  data: Uint8Array;
  exactSize: boolean;
}
const hostileNifti: Arbitraries<NiftiFields> = {
  sizeofHdr: fc.constantFrom(540, 0, 347, -348),
  dims: fc.array(fc.oneof(fc.integer({ min: -2, max: 12 }), fc.constantFrom(0, 32767, -32768, 65535)), { minLength: 8, maxLength: 8 }),
  datatype: fc.oneof(fc.constantFrom(0, 1, 32, 128, 1536, 1792, 2048, 2304), fc.integer({ min: 0, max: 65535 })),
  bitpix: fc.integer({ min: 0, max: 128 }),
  pixdim: fc.array(fc.oneof(fc.float(), fc.constantFrom(0, -1, Number.NaN, Number.POSITIVE_INFINITY)), { minLength: 8, maxLength: 8 }),
  voxOffset: fc.oneof(fc.constantFrom(0, 348, 351, -1, 1e12, 2 ** 31, Number.NaN, Number.POSITIVE_INFINITY), fc.float()),
  sclSlope: fc.oneof(fc.float(), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, 1e38)),
  sclInter: fc.oneof(fc.float(), fc.constantFrom(Number.NaN, Number.NEGATIVE_INFINITY)),
  qformCode: fc.integer({ min: -1, max: 5 }),
  sformCode: fc.integer({ min: -1, max: 5 }),
  quatern: fc.array(fc.float(), { minLength: 6, maxLength: 6 }),
  srow: fc.array(fc.float(), { minLength: 12, maxLength: 12 }),
  intent: fc.constantFrom(1002, 1007, -1),
  bigEndian: fc.boolean(),
  magic: fc.constantFrom('ni1\0', 'n+2\0', 'xxxx'),
  data: fc.uint8Array({ maxLength: 4000 }),
  exactSize: fc.constant(false),
};
const coherentNifti: Arbitraries<NiftiFields> = {
  sizeofHdr: fc.constant(348),
  dims: fc
    .tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 6 }))
    .map(([i, j, k]) => [3, i, j, k, 1, 1, 1, 1]),
  datatype: fc.constantFrom(...Object.keys(NIFTI_TYPES).map(Number)),
  bitpix: fc.constant(-1),
  pixdim: fc.constant([1, 0.8, 0.8, 2.5, 1, 1, 1, 1]),
  voxOffset: fc.constant(352),
  sclSlope: fc.constantFrom(0, 1, 2.5),
  sclInter: fc.constantFrom(0, -1024),
  qformCode: fc.constantFrom(0, 1),
  sformCode: fc.constantFrom(0, 1),
  quatern: fc.constant([0, 0, 0, 0, 0, 0]),
  srow: fc.constant([0.8, 0, 0, -50, 0, 0.8, 0, -50, 0, 0, 2.5, -20]),
  intent: fc.constant(0),
  bigEndian: fc.boolean(),
  magic: fc.constant('n+1\0'),
  data: fc.uint8Array({ minLength: 1, maxLength: 64 }),
  exactSize: fc.constant(true),
};

/** A NIfTI-1 file: readable but for a field or two of its header with hostile values (sizes, datatype, offsets, scaling, transforms). */
export const generatedNifti: fc.Arbitrary<{ name: string; bytes: Uint8Array }> = fewFieldsOff(coherentNifti, hostileNifti).map((v) => {
  const header = new Uint8Array(352);
  const view = new DataView(header.buffer);
  const le = !v.bigEndian;
  view.setInt32(0, v.sizeofHdr, le);
  v.dims.forEach((d, i) => view.setInt16(40 + 2 * i, d, le));
  view.setInt16(56, v.intent, le);
  view.setInt16(68, v.intent, le);
  view.setInt16(70, v.datatype, le);
  view.setInt16(72, v.bitpix < 0 ? (NIFTI_TYPES[v.datatype] ?? 8) : v.bitpix, le);
  v.pixdim.forEach((p, i) => view.setFloat32(76 + 4 * i, p, le));
  view.setFloat32(108, v.voxOffset, le);
  view.setFloat32(112, v.sclSlope, le);
  view.setFloat32(116, v.sclInter, le);
  view.setInt16(252, v.qformCode, le);
  view.setInt16(254, v.sformCode, le);
  v.quatern.forEach((q, i) => view.setFloat32(256 + 4 * i, q, le));
  v.srow.forEach((s, i) => view.setFloat32(280 + 4 * i, s, le));
  for (let i = 0; i < 4; i++) header[344 + i] = v.magic.charCodeAt(i);
  const voxels = v.dims.slice(1, 1 + Math.max(0, Math.min(7, v.dims[0]))).reduce((n, d) => n * Math.max(0, d), 1);
  const bytes = (voxels * (NIFTI_TYPES[v.datatype] ?? 8)) / 8;
  const data = v.exactSize && bytes <= 1 << 20 ? repeatTo(v.data, bytes) : v.data;
  return { name: `generated NIfTI${v.hostile.length ? `, hostile ${v.hostile.join(' and ')}` : ''}`, bytes: concat([header, data]) };
});

/** A DICOMDIR whose ReferencedFileIDs are arbitrary, including '..', '.', absolute and empty components. */
export const generatedDicomdir: fc.Arbitrary<{ name: string; bytes: Uint8Array }> = fc
  .array(
    fc.array(fc.oneof(fc.constantFrom('..', '.', '', 'IM1', 'SE1', '/etc', 'C:', '\\', 'A/../..', '\0'), fc.string({ maxLength: 10 })), {
      minLength: 1,
      maxLength: 5,
    }),
    { maxLength: 6 },
  )
  .map((references) => {
    const records = references.map((components) => [text(0x00041430, 'CS', 'IMAGE'), text(0x00041500, 'CS', components.join('\\'))]);
    const bytes = part10('1.2.840.10008.1.2.1', [sequence(0x00041220, records)], new Uint8Array(0), '1.2.840.10008.1.3.10');
    return { name: `generated DICOMDIR listing ${references.map((r) => r.join('\\')).join(' | ')}`, bytes };
  });
