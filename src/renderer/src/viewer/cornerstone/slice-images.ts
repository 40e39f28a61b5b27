import { imageLoader, metaData, utilities, type Types } from '@cornerstonejs/core';
import type { PatientVector, SeriesInfo, SeriesPlane } from '../../../../shared/series.ts';
import { fetchSlice } from '../../api/pixels.ts';
import { valueRange } from '../../../../shared/value-range.ts';

/**
 * Cornerstone's view of workspace slices: image ids `ssmtl:<series>:<k>`, a loader that
 * fetches a slice's float32 values by URL (no DICOM parsing in the renderer: the engine
 * stored modality values at import), and the metadata Cornerstone asks for.
 * Geometry is the series' place in the patient (its plane: row and column directions,
 * each slice's first voxel), so views, orientation letters and reformats are anatomical;
 * a series whose source gave no position is stacked along z on its own grid.
 */
export const IMAGE_SCHEME = 'ssmtl';

interface SeriesGrid {
  id: string;
  rows: number;
  cols: number;
  spacing: [number, number, number];
  modality: string;
  plane: SeriesPlane | null;
}

const grids = new Map<string, SeriesGrid>();

export function imageIdsFor(series: SeriesInfo & { plane?: SeriesPlane | null }): string[] {
  grids.set(series.id, {
    id: series.id,
    rows: series.rows,
    cols: series.cols,
    spacing: series.spacing,
    modality: series.modality ?? 'OT',
    plane: series.plane && series.plane.positions.length === series.slices ? series.plane : null,
  });
  return Array.from({ length: series.slices }, (_, k) => `${IMAGE_SCHEME}:${encodeURIComponent(series.id)}:${k}`);
}

export function parseImageId(imageId: string): { seriesId: string; index: number } | null {
  const match = /^ssmtl:([^:]+):(\d+)$/.exec(imageId);
  return match ? { seriesId: decodeURIComponent(match[1]), index: Number(match[2]) } : null;
}

function loadSliceImage(imageId: string): { promise: Promise<Types.IImage> } {
  const promise = (async (): Promise<Types.IImage> => {
    const parsed = parseImageId(imageId);
    const grid = parsed && grids.get(parsed.seriesId);
    if (!parsed || !grid) throw new Error(`unknown image ${imageId}`);
    const values = await fetchSlice(parsed.seriesId, parsed.index);
    const { min, max } = valueRange(values);
    const voxelManager = utilities.VoxelManager.createImageVoxelManager({
      width: grid.cols,
      height: grid.rows,
      numberOfComponents: 1,
      scalarData: values,
      id: imageId,
    });
    const image = {
      imageId,
      minPixelValue: min,
      maxPixelValue: max,
      slope: 1,
      intercept: 0,
      windowCenter: (max + min) / 2,
      windowWidth: Math.max(1, max - min),
      getPixelData: () => voxelManager.getScalarData(),
      rows: grid.rows,
      columns: grid.cols,
      height: grid.rows,
      width: grid.cols,
      color: false,
      rgba: false,
      numberOfComponents: 1,
      columnPixelSpacing: grid.spacing[0],
      rowPixelSpacing: grid.spacing[1],
      invert: false,
      sizeInBytes: values.byteLength,
      dataType: 'Float32Array',
      voxelManager,
      FrameOfReferenceUID: frameOfReference(grid),
    };
    return image as unknown as Types.IImage;
  })();
  return { promise };
}

function frameOfReference(grid: SeriesGrid): string {
  return `ssmtl-frame-${grid.id}`;
}

/** The DICOM-module-shaped metadata Cornerstone's stack viewport and labelmaps read. */
function provideMetadata(type: string, imageId: string): unknown {
  const parsed = parseImageId(imageId);
  const grid = parsed && grids.get(parsed.seriesId);
  if (!parsed || !grid) return undefined;
  switch (type) {
    case 'imagePlaneModule': {
      const { row, column, position, location } = slicePlacement(grid, parsed.index);
      return {
        frameOfReferenceUID: frameOfReference(grid),
        rows: grid.rows,
        columns: grid.cols,
        imageOrientationPatient: [...row, ...column],
        rowCosines: row,
        columnCosines: column,
        imagePositionPatient: position,
        sliceThickness: grid.spacing[2],
        sliceLocation: location,
        pixelSpacing: [grid.spacing[1], grid.spacing[0]],
        rowPixelSpacing: grid.spacing[1],
        columnPixelSpacing: grid.spacing[0],
      };
    }
    case 'imagePixelModule':
      return {
        samplesPerPixel: 1,
        photometricInterpretation: 'MONOCHROME2',
        rows: grid.rows,
        columns: grid.cols,
        bitsAllocated: 32,
        bitsStored: 32,
        highBit: 31,
        pixelRepresentation: 1,
      };
    case 'generalSeriesModule':
      return { modality: grid.modality, seriesInstanceUID: grid.id };
    case 'generalImageModule':
      return { instanceNumber: parsed.index + 1 };
    case 'modalityLutModule':
      return { rescaleSlope: 1, rescaleIntercept: 0 };
    default:
      return undefined;
  }
}

/** Slice k's orientation and first voxel (LPS mm), and its position along the normal. */
function slicePlacement(
  grid: SeriesGrid,
  k: number,
): { row: PatientVector; column: PatientVector; position: PatientVector; location: number } {
  const plane = grid.plane;
  if (!plane) return { row: [1, 0, 0], column: [0, 1, 0], position: [0, 0, k * grid.spacing[2]], location: k * grid.spacing[2] };
  const location = plane.positions[k];
  const n = plane.normal;
  return {
    row: plane.rowDirection,
    column: plane.columnDirection,
    position: plane.origins[k] ?? [n[0] * location, n[1] * location, n[2] * location],
    location,
  };
}

let registered = false;

export function registerSliceImages(): void {
  if (registered) return;
  registered = true;
  imageLoader.registerImageLoader(IMAGE_SCHEME, loadSliceImage as unknown as Types.ImageLoaderFn);
  metaData.addProvider(provideMetadata, 10_000);
}
