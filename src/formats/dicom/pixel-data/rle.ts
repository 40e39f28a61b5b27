import { PixelDataError } from './errors.ts';
import { allocateStoredPixels, storedValueOf, type PixelLayout, type StoredPixels } from './pixel-layout.ts';

/**
 * DICOM RLE Lossless (PS3.5 Annex G). A frame is a 64-byte header (number of segments,
 * then 15 little-endian uint32 segment offsets) followed by the segments. Each segment
 * is one byte plane, PackBits-coded, holding rows × cols bytes: for 16-bit samples
 * segment 0 holds the most significant bytes and segment 1 the least; 32-bit samples
 * have four segments, most significant first. No maintained npm package decodes it, and
 * the scheme is small, so it is decoded here.
 */

const HEADER_BYTES = 64;
const MAX_SEGMENTS = 15;
/** A two-byte replicate run yields 128 bytes: no segment can expand more than 64-fold. */
const MAX_EXPANSION = 64;

export function decodeRleFrame(frame: Uint8Array, layout: PixelLayout): StoredPixels {
  if (layout.bitsAllocated === 1) throw new PixelDataError('RLE Lossless with 1 bit allocated is not supported');
  if (frame.length < HEADER_BYTES) {
    throw new PixelDataError(`RLE frame is ${frame.length} bytes, shorter than its 64-byte header`);
  }
  const header = new DataView(frame.buffer, frame.byteOffset, HEADER_BYTES);
  const segmentCount = header.getUint32(0, true);
  const bytesPerSample = layout.bitsAllocated / 8;
  const expected = bytesPerSample * layout.samplesPerPixel;
  if (segmentCount !== expected || segmentCount > MAX_SEGMENTS) {
    throw new PixelDataError(`RLE frame has ${segmentCount} segments, ${layout.bitsAllocated}-bit samples need ${expected}`);
  }
  const pixels = layout.rows * layout.cols;
  const bounds: Array<[number, number]> = [];
  for (let s = 0; s < segmentCount; s++) {
    const start = header.getUint32(4 + 4 * s, true);
    const end = s + 1 < segmentCount ? header.getUint32(8 + 4 * s, true) : frame.length;
    if (start < HEADER_BYTES || end > frame.length || end < start) {
      throw new PixelDataError(`RLE segment ${s + 1} lies outside the frame (bytes ${start}–${end} of ${frame.length})`);
    }
    if ((end - start) * MAX_EXPANSION < pixels) {
      throw new PixelDataError(`RLE segment ${s + 1} is too short (${end - start} bytes) for ${layout.rows} × ${layout.cols} pixels`);
    }
    bounds.push([start, end]);
  }

  // Assemble the byte planes into little-endian samples, then convert to stored values.
  const samples = new Uint8Array(pixels * bytesPerSample);
  const plane = new Uint8Array(pixels);
  bounds.forEach(([start, end], s) => {
    const produced = unpackBits(frame, start, end, plane);
    // A segment may carry a byte or so of padding; a whole row more means the header's
    // size is wrong.
    if (produced < pixels || produced >= pixels + layout.cols) {
      throw new PixelDataError(`RLE segment ${s + 1} decodes to ${produced} bytes, ${layout.rows} × ${layout.cols} needs ${pixels}`);
    }
    const byteInSample = bytesPerSample - 1 - s; // segment 0 is the most significant byte
    for (let i = 0; i < pixels; i++) samples[i * bytesPerSample + byteInSample] = plane[i];
  });

  const out = allocateStoredPixels(layout, pixels);
  const toStored = storedValueOf(layout, 0);
  const view = new DataView(samples.buffer);
  for (let i = 0; i < pixels; i++) {
    const raw = bytesPerSample === 1 ? samples[i] : bytesPerSample === 2 ? view.getUint16(2 * i, true) : view.getUint32(4 * i, true);
    out[i] = toStored(raw);
  }
  return out;
}

/**
 * PackBits: a header byte n, read as signed, is followed by n + 1 literal bytes when
 * 0 ≤ n ≤ 127, or by one byte to repeat 1 − n times when −127 ≤ n ≤ −1; −128 is a no-op.
 * Writes until `out` is full and returns how many bytes the whole segment decodes to,
 * which may exceed out.length (the caller decides how much excess is padding).
 */
function unpackBits(input: Uint8Array, start: number, end: number, out: Uint8Array): number {
  let at = start;
  let produced = 0;
  while (at < end) {
    const n = input[at++];
    if (n < 0x80) {
      const count = Math.min(n + 1, end - at);
      const room = Math.max(0, Math.min(count, out.length - produced));
      if (room > 0) out.set(input.subarray(at, at + room), produced);
      produced += count;
      at += n + 1;
    } else if (n > 0x80) {
      if (at >= end) break;
      const count = 257 - n;
      const room = Math.max(0, Math.min(count, out.length - produced));
      if (room > 0) out.fill(input[at], produced, produced + room);
      produced += count;
      at += 1;
    }
  }
  return produced;
}
