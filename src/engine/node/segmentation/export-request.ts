import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ExportRequest, ExportResult } from '../../../shared/api.ts';
import { InputError } from '../../../shared/errors.ts';
import { labelTablePath } from '../../../formats/nifti/label-table.ts';
import { readSliceAnnotations } from '../annotations/annotation-store.ts';
import { readLabelSet } from '../annotations/label-set.ts';
import type { Workspace } from '../workspace/workspace.ts';
import { exportLabels } from './export-labels.ts';
import { readPrediction } from './prediction-store.ts';
import { modelLabels, requireSegmentationModel } from './segmentation-model.ts';

/**
 * An export from the interface or to a PACS: a model's stored prediction for a series
 * (or the series' annotations) written as a DICOM SEG or NIfTI into the workspace's
 * `exports/` folder, under a name that says whose, by what, and when.
 */
export function exportToWorkspace(workspace: Workspace, request: ExportRequest): ExportResult {
  const series = workspace.requireSeries(request.seriesId);
  let labels: Uint16Array;
  let description: string;
  let algorithm: string | null = null;
  // A model's prediction carries the labels it learnt; annotations, the workspace's set now.
  let palette = readLabelSet(workspace);
  if (request.model) {
    const prediction = readPrediction(workspace, series, request.model);
    if (!prediction) throw new InputError(`model ${request.model} has not segmented series ${series.id} yet: segment it first`);
    palette = modelLabels(workspace, requireSegmentationModel(workspace, request.model).meta);
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
  const segments = palette.filter((l) => present.has(l.value));
  if (segments.length === 0) {
    throw new InputError(
      request.model
        ? `model ${request.model} found no structure in this series: there is nothing to export`
        : 'the annotations hold no label of the palette: there is nothing to export',
    );
  }
  const folder = join(workspace.dir, 'exports');
  mkdirSync(folder, { recursive: true });
  const base = `${(series.patientId ?? 'series').replace(/[^A-Za-z0-9._-]/g, '_')}-${request.model ?? 'annotations'}-${compactTimestamp()}`;
  const extension = request.format === 'dicom-seg' ? '.dcm' : '.nii.gz';
  // Two exports within a second (e.g. one SEG sent to two PACS) each keep their own file.
  let out = join(folder, `${base}${extension}`);
  for (let n = 2; existsSync(out); n++) out = join(folder, `${base}-${n}${extension}`);
  const path = exportLabels(workspace, series, labels, segments, out, { description, algorithm });
  return { path, bytes: statSync(path).size, ...(request.format === 'nifti' ? { labelTable: labelTablePath(path) } : {}) };
}

/** e.g. 20250101-123456: sorts by time, fits in a file name. */
export function compactTimestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}
