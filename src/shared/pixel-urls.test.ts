import { describe, expect, it } from 'vitest';
import { annotationUrl, parsePixelRoute, PIXEL_ROUTE_PREFIX, predictionUrl, sliceUrl, thumbnailUrl } from './pixel-urls.ts';

const parse = (url: string) => parsePixelRoute(url.slice(PIXEL_ROUTE_PREFIX.length));

describe('pixel URLs', () => {
  it('round-trip series ids with any characters (NIfTI ids are paths)', () => {
    const id = '/data/scans/a b/ct#1.nii.gz';
    expect(parse(sliceUrl(id, 7))).toEqual({ kind: 'slice', seriesId: id, index: 7 });
    expect(parse(annotationUrl(id, 0))).toEqual({ kind: 'annotation', seriesId: id, index: 0 });
    expect(parse(predictionUrl(id, 'seg-1', 12))).toEqual({ kind: 'prediction', seriesId: id, model: 'seg-1', index: 12 });
    expect(parse(thumbnailUrl(id))).toEqual({ kind: 'thumbnail', seriesId: id });
  });

  it('rejects anything else', () => {
    for (const path of [
      '',
      'x',
      'x/slices',
      'x/slices/-1',
      'x/slices/1.5',
      'x/slices/9999999',
      'x/other/1',
      '%E0%A4%A/slices/1',
      'x/predictions/m',
      'x/slices/1/extra',
      'x/thumbnail/1',
      'x/thumbnails',
    ]) {
      expect(parsePixelRoute(path), path).toBeNull();
    }
  });
});
