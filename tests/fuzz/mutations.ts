import fc from 'fast-check';
import { gunzipSync, gzipSync } from 'fflate';
import { concat } from '../helpers/raw-dicom.ts';

/**
 * Mutations of a real file, as fast-check values (so a failing input shrinks to the
 * fewest, smallest edits). A position is a fraction of the file, or an index into the
 * file's "hot" offsets (element lengths, small values) where one is known.
 */
export type Edit =
  | { kind: 'flip'; at: Position; bit: number }
  | { kind: 'byte'; at: Position; value: number }
  | { kind: 'word'; at: Position; value: number; bytes: 2 | 4; bigEndian: boolean }
  | { kind: 'delete'; at: Position; length: number }
  | { kind: 'insert'; at: Position; bytes: Uint8Array }
  | { kind: 'repeat'; at: Position; length: number; times: number }
  | { kind: 'truncate'; at: Position }
  | { kind: 'splice'; at: Position; other: number; from: Position };

/** Where an edit lands: among the hot offsets, anywhere in the body (after a DICOM file's preamble and meta group), or anywhere at all. */
type Position = { region: 'hot' | 'body' | 'any'; fraction: number };

const INTERESTING = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

const position = fc.record({
  region: fc.oneof(
    { weight: 4, arbitrary: fc.constant('hot' as const) },
    { weight: 5, arbitrary: fc.constant('body' as const) },
    { weight: 1, arbitrary: fc.constant('any' as const) },
  ),
  // Unbiased: fast-check's doubles favour 0 and tiny values, which would pile the edits onto the first byte.
  fraction: fc.noBias(fc.integer({ min: 0, max: 2 ** 30 - 1 })).map((n) => n / 2 ** 30),
});

export const edit: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('byte' as const),
      at: position,
      value: fc.oneof(fc.constantFrom(0, 0xff, 0x7f, 0x80), fc.integer({ min: 0, max: 255 })),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('word' as const),
      at: position,
      value: fc.oneof(fc.constantFrom(...INTERESTING), fc.integer({ min: 0, max: 0xffffffff })),
      bytes: fc.constantFrom(2 as const, 4 as const),
      bigEndian: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 256 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('repeat' as const),
      at: position,
      length: fc.integer({ min: 1, max: 512 }),
      times: fc.integer({ min: 1, max: 8 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: position }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('splice' as const), at: position, other: fc.nat(), from: position }) },
);

export interface Seed {
  name: string;
  bytes: Uint8Array;
  hot: number[];
  /** where the body starts (a DICOM file's first element after the meta group); 0 when all of it is body */
  body?: number;
  /** 'gzip': the bytes are a gzip stream, and most edits go to what it holds (then gzipped again) */
  gzip?: boolean;
}

function offset(at: Position, seed: Seed, length: number): number {
  if (at.region === 'hot' && seed.hot.length > 0) return Math.min(seed.hot[Math.floor(at.fraction * seed.hot.length)], length);
  const start = at.region === 'any' ? 0 : Math.min(seed.body ?? 0, length);
  return start + Math.floor(at.fraction * (length - start));
}

export function applyEdits(seed: Seed, edits: Edit[], corpus: Seed[]): Uint8Array {
  let bytes: Uint8Array = seed.bytes.slice();
  for (const e of edits) {
    const at = offset(e.at, seed, bytes.length);
    switch (e.kind) {
      case 'flip':
        if (at < bytes.length) bytes[at] ^= 1 << e.bit;
        break;
      case 'byte':
        if (at < bytes.length) bytes[at] = e.value;
        break;
      case 'word':
        for (let k = 0; k < e.bytes && at + k < bytes.length; k++) {
          const shift = 8 * (e.bigEndian ? e.bytes - 1 - k : k);
          bytes[at + k] = Math.floor(e.value / 2 ** shift) & 0xff;
        }
        break;
      case 'delete':
        bytes = concat([bytes.subarray(0, at), bytes.subarray(at + e.length)]);
        break;
      case 'insert':
        bytes = concat([bytes.subarray(0, at), e.bytes, bytes.subarray(at)]);
        break;
      case 'repeat': {
        const chunk = bytes.subarray(at, at + e.length);
        bytes = concat([bytes.subarray(0, at), ...Array<Uint8Array>(e.times + 1).fill(chunk), bytes.subarray(at + e.length)]);
        break;
      }
      case 'truncate':
        bytes = bytes.subarray(0, at);
        break;
      case 'splice': {
        const other = corpus[e.other % corpus.length];
        bytes = concat([bytes.subarray(0, at), other.bytes.subarray(offset(e.from, other, other.bytes.length))]);
        break;
      }
    }
  }
  return bytes;
}

/** A mutated file of the corpus: which file, and 1–6 edits (of a gzipped file, mostly to what it holds). */
export function mutatedFile(corpus: Seed[]): fc.Arbitrary<{ name: string; bytes: Uint8Array }> {
  const inflated = new Map(corpus.filter((s) => s.gzip).map((s) => [s, { ...s, bytes: gunzipSync(s.bytes), gzip: false }]));
  return fc
    .record({ seed: fc.nat({ max: corpus.length - 1 }), edits: fc.array(edit, { minLength: 1, maxLength: 6 }), inside: fc.nat({ max: 4 }) })
    .map(({ seed, edits, inside }) => {
      const base = corpus[seed];
      const inner = inflated.get(base);
      if (inner && inside > 0)
        return { name: `${base.name} + ${edits.length} edit(s) inside`, bytes: gzipSync(applyEdits(inner, edits, corpus)) };
      return { name: `${base.name} + ${edits.length} edit(s)`, bytes: applyEdits(base, edits, corpus) };
    });
}
