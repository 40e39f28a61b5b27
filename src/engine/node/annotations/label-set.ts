import { InputError } from '../../../shared/errors.ts';
import { defaultLabelColor, isValidLabelValue, type LabelDefinition } from '../../../shared/labels.ts';
import type { Workspace } from '../workspace/workspace.ts';

/** The workspace's label set, in palette order. */
export function readLabelSet(workspace: Workspace): LabelDefinition[] {
  return workspace.db.prepare('SELECT value, name, color FROM label_set ORDER BY position, value').all() as LabelDefinition[];
}

/** The labels of these values in `set` (background left out); a value without one is "label N" in its default colour. */
export function labelsOfClasses(set: readonly LabelDefinition[], classes: readonly number[]): LabelDefinition[] {
  const known = new Map(set.map((l) => [l.value, l]));
  return classes.filter((v) => v !== 0).map((v) => known.get(v) ?? { value: v, name: `label ${v}`, color: defaultLabelColor(v) });
}

/** Replaces the whole label set (one transaction). Annotated values not in the new set are refused. */
export function writeLabelSet(workspace: Workspace, labels: LabelDefinition[]): void {
  const seen = new Set<number>();
  for (const l of labels) {
    if (!isValidLabelValue(l.value)) throw new InputError(`label value ${l.value} must be an integer in [1, 65535] (0 is background)`);
    if (seen.has(l.value)) throw new InputError(`label value ${l.value} appears twice in the label set`);
    if (!/^#[0-9a-fA-F]{6}$/.test(l.color)) throw new InputError(`label ${l.value}: colour '${l.color}' is not '#rrggbb'`);
    if (!l.name.trim()) throw new InputError(`label ${l.value} needs a name`);
    seen.add(l.value);
  }
  workspace.db.transaction(() => {
    workspace.db.prepare('DELETE FROM label_set').run();
    const insert = workspace.db.prepare('INSERT INTO label_set (value, name, color, position) VALUES (?, ?, ?, ?)');
    labels.forEach((l, i) => insert.run(l.value, l.name.trim(), l.color.toLowerCase(), i));
  })();
}

/** Adds values that arrived in an imported volume, named "label N", after the existing ones. */
export function addLabels(workspace: Workspace, values: number[]): LabelDefinition[] {
  const existing = new Set(readLabelSet(workspace).map((l) => l.value));
  const added: LabelDefinition[] = [];
  workspace.db.transaction(() => {
    const next = (workspace.db.prepare('SELECT COALESCE(MAX(position), -1) + 1 AS p FROM label_set').get() as { p: number }).p;
    const insert = workspace.db.prepare('INSERT INTO label_set (value, name, color, position) VALUES (?, ?, ?, ?)');
    for (const value of values) {
      if (existing.has(value)) continue;
      if (!isValidLabelValue(value)) throw new InputError(`label value ${value} must be an integer in [1, 65535]`);
      const label = { value, name: `label ${value}`, color: defaultLabelColor(value) };
      insert.run(label.value, label.name, label.color, next + added.length);
      existing.add(value);
      added.push(label);
    }
  })();
  return added;
}
