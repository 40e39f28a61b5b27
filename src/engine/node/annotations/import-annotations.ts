import { InputError } from '../../../shared/errors.ts';
import type { LabelDefinition } from '../../../shared/labels.ts';
import { Random } from '../../random.ts';
import type { Workspace } from '../workspace/workspace.ts';
import { saveSliceAnnotations } from './annotation-store.ts';
import { addLabels, readLabelSet } from './label-set.ts';
import { readSeriesLabels } from './label-volume.ts';

/**
 * `annotations import`: takes some slices of a label volume as if a person had drawn
 * them. Values outside the label set are never dropped silently: by default they join
 * the label set (and are reported); `error` refuses the file; `background` erases them
 * (reported too).
 */
export type UnknownLabelPolicy = 'add' | 'error' | 'background';

export interface ImportAnnotationsOptions {
  seriesId: string;
  labelsPath: string;
  /** N slices drawn at random among those holding a label */
  count?: number;
  /** or exactly these slices */
  sliceList?: number[];
  seed?: number;
  unknownLabels?: UnknownLabelPolicy;
}

export interface ImportAnnotationsResult {
  series: string;
  annotatedSlices: number[];
  labels: number[];
  /** labels added to the workspace's label set */
  addedLabels: LabelDefinition[];
  /** values erased to background (policy 'background') */
  erasedLabels: number[];
  /** every annotated slice of the series after the import */
  allAnnotatedSlices: number[];
  warnings: string[];
}

export const DEFAULT_IMPORTED_SLICES = 20;

export function importAnnotations(workspace: Workspace, options: ImportAnnotationsOptions): ImportAnnotationsResult {
  const series = workspace.requireSeries(options.seriesId);
  const volume = readSeriesLabels(workspace, series, options.labelsPath);
  const warnings = [...volume.warnings];
  let chosen: number[];
  if (options.sliceList && options.sliceList.length > 0) {
    const outside = options.sliceList.filter((k) => !Number.isInteger(k) || k < 0 || k >= series.slices);
    if (outside.length > 0)
      throw new InputError(`--slice-list: ${outside.join(', ')} outside series ${series.id}'s slices 0..${series.slices - 1}`);
    chosen = [...new Set(options.sliceList)].sort((a, b) => a - b);
  } else {
    const count = options.count ?? DEFAULT_IMPORTED_SLICES;
    // Values that will be erased do not make a slice worth drawing.
    let candidates = volume.labelled;
    if (options.unknownLabels === 'background') {
      const known = new Set(readLabelSet(workspace).map((l) => l.value));
      candidates = candidates.filter((k) => volume.slice(k).some((v) => known.has(v)));
    }
    if (candidates.length === 0)
      throw new InputError(
        `--labels ${options.labelsPath} holds no label${options.unknownLabels === 'background' ? ' of the label set' : ''} on any slice of series ${series.id}`,
      );
    if (count > candidates.length)
      warnings.push(`only ${candidates.length} slices hold a label; all of them are taken instead of ${count}`);
    chosen = Random.derive(options.seed ?? 0, 'annotations-import', series.id)
      .shuffle([...candidates])
      .slice(0, count)
      .sort((a, b) => a - b);
  }
  const maps = chosen.map((index) => ({ index, labels: volume.slice(index) }));
  const present = new Set<number>();
  for (const { labels } of maps) for (let p = 0; p < labels.length; p++) if (labels[p] !== 0) present.add(labels[p]);
  const known = new Set(readLabelSet(workspace).map((l) => l.value));
  const unknown = [...present].filter((v) => !known.has(v)).sort((a, b) => a - b);
  const policy = options.unknownLabels ?? 'add';
  let addedLabels: LabelDefinition[] = [];
  let erasedLabels: number[] = [];
  if (unknown.length > 0) {
    if (policy === 'error') {
      throw new InputError(
        `--labels ${options.labelsPath}: values ${unknown.join(', ')} are not in the workspace's label set (${[...known].join(', ')}); use --unknown-labels add or background`,
      );
    }
    if (policy === 'background') {
      const erase = new Set(unknown);
      for (const { labels } of maps) for (let p = 0; p < labels.length; p++) if (erase.has(labels[p])) labels[p] = 0;
      for (const v of unknown) present.delete(v);
      erasedLabels = unknown;
      warnings.push(`values ${unknown.join(', ')} are not in the label set and were erased to background`);
    } else {
      addedLabels = addLabels(workspace, unknown);
      warnings.push(
        `values ${unknown.join(', ')} were not in the label set and were added to it as ${addedLabels.map((l) => `'${l.name}'`).join(', ')}`,
      );
    }
  }
  saveSliceAnnotations(workspace, series, maps);
  return {
    series: series.id,
    annotatedSlices: chosen,
    labels: [...present].sort((a, b) => a - b),
    addedLabels,
    erasedLabels,
    allAnnotatedSlices: workspace.annotatedSlices(series.key),
    warnings,
  };
}
