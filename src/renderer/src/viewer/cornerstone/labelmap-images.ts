import { cache, Enums, metaData, utilities, type Types } from '@cornerstonejs/core';

const { MetadataModules } = Enums;

/**
 * Empty labelmap images, one per slice of a series, in Cornerstone's cache under the ids
 * `derivedIdOf` gives: what `imageLoader.createAndCacheDerivedLabelmapImages` makes, made
 * without its per-slice work that every opened series paid (about 0.5 ms a slice: 100 ms
 * of a 200-slice series' open). Cornerstone scans each new, all-zero buffer for its
 * minimum and maximum and deep-copies the slice's metadata four times; here the range is
 * known (0, 0) and the slice's plane is shared (nothing writes to it).
 *
 * The images carry what Cornerstone's own carry: 8-bit segment indices in a voxel
 * manager, the slice's geometry, and `referencedImageId`, by which the segmentation
 * tools find the labelmap of the image on screen.
 */
export function createLabelmapImages(
  referencedImageIds: readonly string[],
  derivedIdOf: (referencedImageId: string) => string,
): Types.IImage[] {
  return referencedImageIds.map((referencedImageId, index) => {
    const plane = metaData.get(MetadataModules.IMAGE_PLANE, referencedImageId) as Types.ImagePlaneModule | undefined;
    if (!plane) throw new Error(`no plane is known for ${referencedImageId}: its labelmap cannot be made`);
    const { rows, columns } = plane;
    const imageId = derivedIdOf(referencedImageId);
    describe(imageId, referencedImageId, plane, index + 1);
    const scalarData = new Uint8Array(rows * columns);
    const voxelManager = utilities.VoxelManager.createImageVoxelManager({ width: columns, height: rows, scalarData, id: imageId });
    const image = {
      imageId,
      referencedImageId,
      intercept: 0,
      slope: 1,
      windowCenter: 0,
      windowWidth: 0,
      color: false,
      rgba: false,
      invert: false,
      numberOfComponents: 1,
      dataType: 'Uint8Array',
      minPixelValue: 0,
      maxPixelValue: 0,
      rows,
      columns,
      height: rows,
      width: columns,
      columnPixelSpacing: plane.columnPixelSpacing,
      rowPixelSpacing: plane.rowPixelSpacing,
      FrameOfReferenceUID: plane.frameOfReferenceUID,
      getCanvas: undefined,
      getPixelData: () => voxelManager.getScalarData(),
      voxelManager,
      sizeInBytes: scalarData.byteLength,
    } as unknown as Types.IImage;
    cache.putImageSync(imageId, image);
    return image;
  });
}

/** The labelmap image's metadata: its slice's plane, and 8-bit single-sample pixels. */
function describe(imageId: string, referencedImageId: string, plane: Types.ImagePlaneModule, instanceNumber: number): void {
  const provider = utilities.genericMetadataProvider;
  provider.addRaw(imageId, { type: MetadataModules.IMAGE_PLANE, metadata: plane });
  const series = metaData.get(MetadataModules.GENERAL_SERIES, referencedImageId) as Record<string, unknown> | undefined;
  if (series) provider.addRaw(imageId, { type: MetadataModules.GENERAL_SERIES, metadata: series });
  provider.addRaw(imageId, { type: MetadataModules.GENERAL_IMAGE, metadata: { instanceNumber } });
  provider.addRaw(imageId, {
    type: MetadataModules.IMAGE_PIXEL,
    metadata: {
      samplesPerPixel: 1,
      photometricInterpretation: 'MONOCHROME2',
      rows: plane.rows,
      columns: plane.columns,
      bitsAllocated: 8,
      bitsStored: 8,
      highBit: 7,
      pixelRepresentation: 0,
    },
  });
}
