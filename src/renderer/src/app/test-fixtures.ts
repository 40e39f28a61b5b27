import type { SeriesStatus } from '../../../shared/api.ts';

/** A series as the engine lists it, for the renderer's unit tests: a small MR brain. */
export function seriesStatus(id: string, { slices = 10, annotatedSlices = [] as number[] } = {}): SeriesStatus {
  return {
    id,
    format: 'dicom',
    modality: 'MR',
    description: 'brain',
    patientId: 'P1',
    slices,
    rows: 4,
    cols: 4,
    spacing: [1, 1, 1],
    annotatedSlices,
    pretrainedBy: [],
    predictedBy: [],
    predictions: [],
    plane: null,
  };
}
