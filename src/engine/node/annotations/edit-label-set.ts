import { InputError } from '../../../shared/errors.ts';
import type { LabelDefinition } from '../../../shared/labels.ts';
import type { Workspace } from '../workspace/workspace.ts';
import { readSliceAnnotations } from './annotation-store.ts';
import { readLabelSet, writeLabelSet } from './label-set.ts';

/**
 * The label set as the annotator edits it (renamed, recoloured, reordered, added,
 * removed): a label still painted in some annotated slice cannot be removed, since its
 * pixels would then carry a value no label names.
 */
export function replaceLabelSet(workspace: Workspace, labels: LabelDefinition[]): LabelDefinition[] {
  const kept = new Set(labels.map((l) => l.value));
  const dropped = readLabelSet(workspace).filter((l) => !kept.has(l.value));
  if (dropped.length) {
    const painted = valuesInAnnotations(workspace);
    const lost = dropped.filter((l) => painted.has(l.value));
    if (lost.length) {
      const names = lost.map((l) => `"${l.name}"`).join(', ');
      throw new InputError(
        lost.length === 1
          ? `${names} is painted in annotated slices and cannot be removed: rename or recolour it, or erase it first`
          : `${names} are painted in annotated slices and cannot be removed: rename or recolour them, or erase them first`,
      );
    }
  }
  writeLabelSet(workspace, labels);
  return readLabelSet(workspace);
}

/** The label values painted in any annotated slice of the workspace. */
function valuesInAnnotations(workspace: Workspace): Set<number> {
  const values = new Set<number>();
  for (const series of workspace.listSeries())
    for (const annotation of readSliceAnnotations(workspace, series)) for (const v of annotation.labels) if (v) values.add(v);
  return values;
}
