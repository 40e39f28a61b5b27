import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ExportRequest, ExportResult } from '../../../shared/api.ts';
import { InputError } from '../../../shared/errors.ts';
import { readSliceAnnotations } from '../annotations/annotation-store.ts';
import { readLabelSet } from '../annotations/label-set.ts';
import { exportLabels } from '../segmentation/export-labels.ts';
import { readPrediction } from '../segmentation/prediction-store.ts';
import { exportFileName } from './names.ts';
import type { StudioSession } from './studio-session.ts';

/** A model's prediction, or the annotations, of a series as DICOM SEG or NIfTI in the workspace's exports folder. */
export function exportSegmentation(session: StudioSession, request: ExportRequest): ExportResult {
  const workspace = session.requireWorkspace();
  const series = workspace.requireSeries(request.seriesId);
  let labels: Uint16Array;
  let description: string;
  let algorithm: string | null = null;
  if (request.model) {
    const prediction = readPrediction(workspace, series, request.model);
    if (!prediction) throw new InputError(`model ${request.model} has not segmented this series yet: segment it first`);
    labels = prediction.labels;
    description = `SSMTL Studio segmentation by model ${request.model}`;
    algorithm = `SSMTL Studio U-Net ${request.model}`;
  } else {
    const annotations = readSliceAnnotations(workspace, series);
    if (annotations.length === 0) throw new InputError('this series has no annotated slices to export');
    const plane = series.rows * series.cols;
    labels = new Uint16Array(plane * series.slices);
    for (const a of annotations) labels.set(a.labels, a.index * plane);
    description = `SSMTL Studio manual annotations (${annotations.length} slices)`;
  }
  const present = new Set(labels);
  const segments = readLabelSet(workspace).filter((l) => present.has(l.value));
  if (segments.length === 0) {
    throw new InputError(
      request.model
        ? `model ${request.model} found no structure in this series: there is nothing to export`
        : 'the annotations hold no label of the palette: there is nothing to export',
    );
  }
  const folder = join(workspace.dir, 'exports');
  mkdirSync(folder, { recursive: true });
  const out = join(folder, exportFileName(series.patientId, request.model, request.format));
  const path = exportLabels(workspace, series, labels, segments, out, { description, algorithm });
  return { path, bytes: statSync(path).size };
}
