import { readFileSync } from 'node:fs';
import { InputError } from '../../../shared/errors.ts';
import { readNifti, NiftiError } from '../../../formats/nifti/read-nifti.ts';
import { readSeg, SegError, type SegObject } from '../../../formats/dicom-seg/read-seg.ts';
import { labelValueForTypeCode } from '../../../formats/dicom-seg/segment-codes.ts';
import type { SeriesRecord, Workspace } from '../workspace/workspace.ts';
import { dot, invert4, multiply4, seriesAffine, seriesPlane } from './series-grid.ts';
import { readLabelSet } from './label-set.ts';

/**
 * A label volume (NIfTI, or DICOM SEG) read onto a series' grid: slice k of the series
 * gets the label map the file holds for that slice. A NIfTI file may store the same grid
 * in another axis order or direction (e.g. reoriented to RAS by a tool): any mapping of
 * voxels to voxels by a signed permutation is followed; anything else is "another grid".
 */
export interface SeriesLabels {
  /** rows × cols label values of slice k (0 = background) */
  slice(k: number): Uint16Array;
  /** slices holding any non-zero label */
  labelled: number[];
  /** every non-zero value present */
  values: number[];
  warnings: string[];
}

export function readSeriesLabels(workspace: Workspace, series: SeriesRecord, path: string): SeriesLabels {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new InputError(
      `--labels ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
  const isDicom = bytes.length > 132 && String.fromCharCode(...bytes.subarray(128, 132)) === 'DICM';
  const slices = isDicom ? fromSeg(workspace, series, bytes, path) : fromNifti(series, bytes, path);
  const labelled: number[] = [];
  const values = new Set<number>();
  const cache = new Map<number, Uint16Array>();
  for (let k = 0; k < series.slices; k++) {
    const map = slices.slice(k);
    let any = false;
    for (let p = 0; p < map.length; p++) {
      if (map[p] !== 0) {
        any = true;
        values.add(map[p]);
      }
    }
    if (any) labelled.push(k);
  }
  return {
    slice: (k) => {
      let map = cache.get(k);
      if (!map) {
        map = slices.slice(k);
        cache.set(k, map);
      }
      return map;
    },
    labelled,
    values: [...values].sort((a, b) => a - b),
    warnings: slices.warnings,
  };
}

function shapeOf(series: SeriesRecord): string {
  return `${series.cols} × ${series.rows} × ${series.slices} (columns × rows × slices)`;
}

function fromNifti(series: SeriesRecord, bytes: Uint8Array, path: string): { slice(k: number): Uint16Array; warnings: string[] } {
  let volume;
  try {
    volume = readNifti(bytes);
  } catch (error) {
    if (error instanceof NiftiError) throw new InputError(`--labels ${path}: ${error.reason}`);
    throw error;
  }
  const [ni, nj, nk] = volume.dims;
  const warnings = [...volume.warnings];
  const plane = ni * nj;
  const data = new Uint16Array(plane * nk);
  const bad = new Set<number>();
  const scratch = new Float32Array(plane);
  for (let k = 0; k < nk; k++) {
    volume.readSlice(k, scratch);
    for (let p = 0; p < plane; p++) {
      const v = scratch[p];
      if (!(Number.isInteger(v) && v >= 0 && v <= 65535)) {
        if (bad.size < 10) bad.add(v);
        continue;
      }
      data[k * plane + p] = v;
    }
  }
  if (bad.size > 0)
    throw new InputError(`--labels ${path}: holds values that are not label values (integers 0..65535): ${[...bad].join(', ')}`);

  // Series voxel → label voxel.
  const { affine: seriesToWorld, exact } = seriesAffine(series);
  const sameDims = ni === series.cols && nj === series.rows && nk === series.slices;
  let mapping: number[][] | null = null;
  if (exact && !volume.warnings.some((w) => w.startsWith('no qform or sform'))) {
    try {
      mapping = signedPermutation(multiply4(invert4(volume.affine), seriesToWorld));
    } catch {
      mapping = null;
    }
  }
  if (!mapping) {
    if (!sameDims) {
      throw new InputError(
        `--labels ${path} is ${ni} × ${nj} × ${nk} voxels but series ${series.id} is ${shapeOf(series)}: the labels must be on the series' grid`,
      );
    }
    warnings.push(`${path}: its affine does not map onto the series' grid voxel for voxel; the voxel order is taken as the same`);
    mapping = [
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
    ];
  }
  // Every corner of the series grid must land inside the label volume.
  for (const [i, j, k] of [
    [0, 0, 0],
    [series.cols - 1, series.rows - 1, series.slices - 1],
    [series.cols - 1, 0, 0],
    [0, series.rows - 1, 0],
    [0, 0, series.slices - 1],
  ]) {
    const [x, y, z] = apply(mapping, i, j, k);
    if (x < 0 || y < 0 || z < 0 || x >= ni || y >= nj || z >= nk) {
      throw new InputError(
        `--labels ${path} is ${ni} × ${nj} × ${nk} voxels and does not cover series ${series.id}, ${shapeOf(series)}: the labels must be on the series' grid`,
      );
    }
  }
  if (!sameDims) warnings.push(`${path} is ${ni} × ${nj} × ${nk} voxels; only the part on series ${series.id}'s grid is used`);
  const m = mapping;
  return {
    warnings,
    slice(k) {
      const out = new Uint16Array(series.rows * series.cols);
      const [bx, by, bz] = apply(m, 0, 0, k);
      for (let j = 0; j < series.rows; j++) {
        for (let i = 0; i < series.cols; i++) {
          const x = bx + m[0][0] * i + m[0][1] * j;
          const y = by + m[1][0] * i + m[1][1] * j;
          const z = bz + m[2][0] * i + m[2][1] * j;
          out[j * series.cols + i] = data[z * plane + y * ni + x];
        }
      }
      return out;
    },
  };
}

function apply(m: number[][], i: number, j: number, k: number): [number, number, number] {
  return [0, 1, 2].map((r) => m[r][0] * i + m[r][1] * j + m[r][2] * k + m[r][3]) as [number, number, number];
}

/** The 3 × 4 integer matrix of a voxel-to-voxel map that only permutes and flips axes, or null. */
function signedPermutation(m: number[][]): number[][] | null {
  const out: number[][] = [];
  for (let r = 0; r < 3; r++) {
    const row: number[] = [];
    for (let c = 0; c < 3; c++) {
      const v = m[r][c];
      const rounded = Math.round(v);
      if (Math.abs(v - rounded) > 1e-2 || Math.abs(rounded) > 1) return null;
      row.push(rounded);
    }
    if (row.filter((v) => v !== 0).length !== 1) return null;
    const t = m[r][3];
    if (Math.abs(t - Math.round(t)) > 0.05) return null;
    row.push(Math.round(t));
    out.push(row);
  }
  for (let c = 0; c < 3; c++) if (out.filter((row) => row[c] !== 0).length !== 1) return null;
  return out;
}

function fromSeg(
  workspace: Workspace,
  series: SeriesRecord,
  bytes: Uint8Array,
  path: string,
): { slice(k: number): Uint16Array; warnings: string[] } {
  let seg: SegObject;
  try {
    seg = readSeg(bytes);
  } catch (error) {
    if (error instanceof SegError) throw new InputError(`--labels ${path}: ${error.message}`);
    throw error;
  }
  const warnings: string[] = [];
  if (seg.rows !== series.rows || seg.cols !== series.cols) {
    throw new InputError(
      `--labels ${path} has frames of ${seg.cols} × ${seg.rows} (columns × rows) but series ${series.id} is ${shapeOf(series)}: the labels must be on the series' grid`,
    );
  }
  if (seg.referencedSeries && series.format === 'dicom' && seg.referencedSeries !== series.id.replace(/-part\d+$/, '')) {
    warnings.push(`${path} references series ${seg.referencedSeries}, not ${series.id}; frames are matched by position`);
  }
  // Segment number → label value: the value this app wrote, else a label of that name, else the
  // MM-WHS value of its anatomical code (SEGs from other tools), else the segment number.
  const byName = new Map(readLabelSet(workspace).map((l) => [l.name.toLowerCase(), l.value]));
  const valueOf = new Map<number, number>();
  for (const s of seg.segments)
    valueOf.set(s.number, s.labelValue ?? byName.get(s.label.toLowerCase()) ?? labelValueForTypeCode(s.typeCode, s.typeScheme) ?? s.number);

  const plane = seriesPlane(workspace, series);
  const spacing = Math.abs(series.spacing[2]) || 1;
  const maps = new Map<number, Uint16Array>();
  const unplaced: number[] = [];
  seg.frames.forEach((frame, f) => {
    let k: number | null = null;
    if (plane && frame.position) {
      if (frame.orientation) {
        const [r, c] = frame.orientation;
        if (dot(r, plane.rowDirection) < 0.99 || dot(c, plane.columnDirection) < 0.99) {
          throw new InputError(
            `--labels ${path}: frame ${f + 1} is oriented [${[...r, ...c].map((v) => v.toFixed(3)).join(', ')}], not like series ${series.id}'s slices`,
          );
        }
      }
      const p = dot(frame.position, plane.normal);
      let best = -1;
      let bestDistance = Infinity;
      plane.positions.forEach((q, index) => {
        const d = Math.abs(q - p);
        if (d < bestDistance) {
          bestDistance = d;
          best = index;
        }
      });
      if (bestDistance <= spacing * 0.25) k = best;
    } else if (!plane && seg.frames.length === series.slices) {
      k = f;
    }
    if (k === null) {
      unplaced.push(f + 1);
      return;
    }
    let map = maps.get(k);
    if (!map) {
      map = new Uint16Array(series.rows * series.cols);
      maps.set(k, map);
    }
    const mask = frame.mask;
    if (seg.type === 'LABELMAP') {
      for (let p = 0; p < mask.length; p++) if (mask[p]) map[p] = valueOf.get(mask[p]) ?? mask[p];
    } else {
      const value = valueOf.get(frame.segment) ?? frame.segment;
      for (let p = 0; p < mask.length; p++) if (mask[p]) map[p] = value;
    }
  });
  if (unplaced.length > 0) {
    throw new InputError(
      `--labels ${path}: ${unplaced.length} frame(s) (${unplaced.slice(0, 5).join(', ')}${unplaced.length > 5 ? ', …' : ''}) lie on no slice of series ${series.id}: the segmentation is not on the series' grid`,
    );
  }
  return { warnings, slice: (k) => maps.get(k)?.slice() ?? new Uint16Array(series.rows * series.cols) };
}
