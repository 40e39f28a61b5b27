import type { SkippedFile, Spacing } from '../../shared/series.ts';
import type { PixelLayout } from './pixel-data/decode-frame.ts';
import type { DicomImageHeader, FrameHeader } from './read-image-header.ts';
import {
  angleDegrees,
  dot,
  median,
  normalize,
  planeName,
  sameOrientation,
  sliceNormal,
  subtract,
  type PlaneOrientation,
  type Vec3,
} from './geometry.ts';

/** One readable image file as found by a scan. */
export interface ScannedImage {
  path: string;
  header: DicomImageHeader;
}

/** One slice of a series: a frame of a file, with where it lies along the normal. */
export interface SliceRef {
  path: string;
  frameIndex: number;
  /** mm along the slice normal (ImagePositionPatient · normal), or the stored order when positions are missing */
  position: number;
  rescaleSlope: number;
  rescaleIntercept: number;
}

/** A series ready to import: slices in order, geometry resolved, warnings said. */
export interface DicomSeries {
  id: string;
  seriesInstanceUid: string;
  modality: string | null;
  description: string | null;
  patientId: string | null;
  rows: number;
  cols: number;
  /** [column mm, row mm, slice mm] as CONTRACT.md orders it */
  spacing: Spacing;
  /** LPS mm of the first pixel of the first slice; null without positions */
  origin: Vec3 | null;
  orientation: PlaneOrientation | null;
  /** unit vector of increasing slice index */
  sliceDirection: Vec3 | null;
  layout: PixelLayout;
  slices: SliceRef[];
  files: string[];
  warnings: string[];
}

const DUPLICATE_TOLERANCE_MM = 0.01;
const GAP_FACTOR = 1.5;
const UNEVEN_TOLERANCE = 0.01;
const TILT_TOLERANCE_DEGREES = 0.5;

interface FrameEntry {
  path: string;
  header: DicomImageHeader;
  frame: FrameHeader;
}

/**
 * Groups images into series by SeriesInstanceUID, splits off images of another size or
 * orientation (scouts, localizers), orders slices by position along the normal and
 * derives the slice spacing from positions. Every frame ends up in a series or, as a
 * duplicate position, in `skipped`.
 */
export function groupIntoSeries(images: ScannedImage[]): { series: DicomSeries[]; skipped: SkippedFile[] } {
  const byUid = new Map<string, FrameEntry[]>();
  for (const { path, header } of images) {
    const uid = header.seriesInstanceUid ?? `no-series-uid:${header.studyInstanceUid ?? path}`;
    const entries = byUid.get(uid) ?? [];
    for (const frame of header.frames) entries.push({ path, header, frame });
    byUid.set(uid, entries);
  }
  const series: DicomSeries[] = [];
  const skipped: SkippedFile[] = [];
  for (const [uid, entries] of byUid) {
    // Largest part first; ties by file name, so ids do not depend on the order files were found.
    const parts = splitByGeometry(entries).sort((a, b) => b.length - a.length || firstPath(a).localeCompare(firstPath(b)));
    parts.forEach((part, index) => {
      const id = index === 0 ? uid : `${uid}-part${index + 1}`;
      const built = buildSeries(id, uid, part);
      if (parts.length > 1) {
        const main = parts[0][0];
        const reason =
          index === 0
            ? `${parts.length - 1} other group(s) of images in this series differ in size or orientation and were split off as ${uid}-part2…`
            : `split from series ${uid}: ${part.length} image(s) of ${describeGeometry(part[0])} unlike the main ${describeGeometry(main)} (a scout or localizer?)`;
        built.series.warnings.unshift(reason);
      }
      series.push(built.series);
      skipped.push(...built.skipped);
    });
  }
  return { series, skipped };
}

function firstPath(entries: FrameEntry[]): string {
  return entries.reduce((first, entry) => (entry.path < first ? entry.path : first), entries[0].path);
}

function geometryKey(entry: FrameEntry): string {
  const { rows, cols, bitsAllocated, pixelRepresentation } = entry.header.layout;
  const spacing = entry.frame.pixelSpacing?.map((v) => v.toFixed(3)).join('x') ?? 'none';
  return `${rows}x${cols}|${spacing}|${bitsAllocated}|${pixelRepresentation}`;
}

function splitByGeometry(entries: FrameEntry[]): FrameEntry[][] {
  const groups: FrameEntry[][] = [];
  for (const entry of entries) {
    const group = groups.find((candidate) => {
      const first = candidate[0];
      if (geometryKey(first) !== geometryKey(entry)) return false;
      const a = first.frame.orientation;
      const b = entry.frame.orientation;
      return a === null || b === null ? a === b : sameOrientation(a, b);
    });
    if (group) group.push(entry);
    else groups.push([entry]);
  }
  return groups;
}

function describeGeometry(entry: FrameEntry): string {
  const { rows, cols } = entry.header.layout;
  const plane = entry.frame.orientation ? planeName(entry.frame.orientation) : 'unknown orientation';
  return `${cols} × ${rows} ${plane}`;
}

function buildSeries(id: string, uid: string, entries: FrameEntry[]): { series: DicomSeries; skipped: SkippedFile[] } {
  const first = entries[0];
  const warnings = [...new Set(entries.flatMap((entry) => entry.header.warnings))];
  const orientation = first.frame.orientation;
  const normal = orientation ? sliceNormal(orientation) : null;
  const positioned = normal !== null && entries.every((entry) => entry.frame.position !== null);

  const ordered = entries.map((entry, storedOrder) => ({
    entry,
    position: positioned ? dot(entry.frame.position as Vec3, normal) : storedOrder,
    instance: entry.header.instanceNumber ?? 0,
  }));
  if (positioned) {
    ordered.sort((a, b) => a.position - b.position || a.instance - b.instance || a.entry.frame.frameIndex - b.entry.frame.frameIndex);
  } else {
    ordered.sort((a, b) => a.instance - b.instance || a.entry.frame.frameIndex - b.entry.frame.frameIndex);
    warnings.push('no ImagePositionPatient/ImageOrientationPatient: slices ordered by InstanceNumber, spacing not measured');
  }

  const skipped: SkippedFile[] = [];
  const kept: typeof ordered = [];
  for (const candidate of ordered) {
    const previous = kept[kept.length - 1];
    if (positioned && previous && Math.abs(candidate.position - previous.position) < DUPLICATE_TOLERANCE_MM) {
      skipped.push({
        path: framePath(candidate.entry),
        reason: `duplicate slice position ${candidate.position.toFixed(2)} mm in series ${id} (kept ${framePath(previous.entry)})`,
      });
      continue;
    }
    kept.push(candidate);
  }
  if (kept.length < ordered.length) {
    warnings.push(`${ordered.length - kept.length} slice(s) at duplicate positions were left out`);
  }

  const sliceSpacing = positioned
    ? measureSpacing(
        kept.map((k) => k.position),
        warnings,
      )
    : null;
  const fallbackSpacing = first.header.spacingBetweenSlices ?? first.header.sliceThickness;
  if (sliceSpacing === null && positioned) {
    warnings.push(`single slice: slice spacing taken from ${fallbackSpacing ? 'the header' : 'nothing (1 mm assumed)'}`);
  }
  let sliceDirection = normal;
  if (positioned && kept.length >= 2) {
    const firstPosition = kept[0].entry.frame.position as Vec3;
    const lastPosition = kept[kept.length - 1].entry.frame.position as Vec3;
    const travel = normalize(subtract(lastPosition, firstPosition));
    const tilt = angleDegrees(travel, normal as Vec3);
    if (tilt > TILT_TOLERANCE_DEGREES) {
      warnings.push(`gantry tilt of ${tilt.toFixed(1)}° (slices are sheared); positions are measured along the slice normal`);
      sliceDirection = travel;
    }
  }
  if (first.header.gantryTilt && Math.abs(first.header.gantryTilt) > 0 && !warnings.some((w) => w.startsWith('gantry tilt'))) {
    warnings.push(`GantryDetectorTilt is ${first.header.gantryTilt}° in the header`);
  }

  if (first.header.layout.photometricInterpretation.trim() === 'MONOCHROME1') {
    warnings.push('MONOCHROME1: low values display bright; values are kept as the modality LUT gives them, not inverted');
  }
  const pixelSpacing = first.frame.pixelSpacing;
  if (!pixelSpacing) warnings.push('no PixelSpacing: 1 mm pixels assumed');
  const slices: SliceRef[] = kept.map(({ entry, position }) => ({
    path: entry.path,
    frameIndex: entry.frame.frameIndex,
    position,
    rescaleSlope: entry.frame.rescaleSlope,
    rescaleIntercept: entry.frame.rescaleIntercept,
  }));
  return {
    series: {
      id,
      seriesInstanceUid: uid,
      modality: first.header.modality,
      description: first.header.description,
      patientId: first.header.patientId,
      rows: first.header.layout.rows,
      cols: first.header.layout.cols,
      spacing: [pixelSpacing?.[1] ?? 1, pixelSpacing?.[0] ?? 1, sliceSpacing ?? fallbackSpacing ?? 1],
      origin: positioned ? (kept[0].entry.frame.position as Vec3) : null,
      orientation,
      sliceDirection: positioned ? sliceDirection : null,
      layout: first.header.layout,
      slices,
      files: [...new Set(slices.map((slice) => slice.path))],
      warnings,
    },
    skipped,
  };
}

/** The median step between positions; warns on gaps and uneven steps. Null for one slice. */
function measureSpacing(positions: number[], warnings: string[]): number | null {
  if (positions.length < 2) return null;
  const steps = positions.slice(1).map((p, i) => p - positions[i]);
  const spacing = median(steps);
  const gaps = steps.map((step, i) => ({ step, i })).filter(({ step }) => step > GAP_FACTOR * spacing);
  for (const { step, i } of gaps.slice(0, 5)) {
    warnings.push(
      `gap of ${step.toFixed(2)} mm between slices ${i} and ${i + 1} (usual spacing ${spacing.toFixed(2)} mm): slices may be missing`,
    );
  }
  if (gaps.length > 5) warnings.push(`${gaps.length - 5} more gaps`);
  const regular = steps.filter((step) => step <= GAP_FACTOR * spacing);
  const spread = Math.max(...regular) - Math.min(...regular);
  if (spread > UNEVEN_TOLERANCE * spacing) {
    warnings.push(
      `uneven slice spacing: steps from ${Math.min(...regular).toFixed(3)} to ${Math.max(...regular).toFixed(3)} mm (median ${spacing.toFixed(3)} mm used)`,
    );
  }
  return spacing;
}

function framePath(entry: FrameEntry): string {
  return entry.header.layout.numberOfFrames > 1 ? `${entry.path}#frame${entry.frame.frameIndex + 1}` : entry.path;
}
