import type { PaletteLabel } from '../../../shared/api.ts';
import { isValidLabelValue } from '../../../shared/labels.ts';

/** What keeps an edited label set from being saved, in the words of the editor (empty: nothing). */
export function labelSetProblems(labels: readonly PaletteLabel[]): string[] {
  const problems: string[] = [];
  const values = new Map<number, number>();
  const names = new Map<string, number>();
  labels.forEach((label, i) => {
    const name = label.name.trim();
    if (!name) problems.push(`Label ${i + 1} needs a name.`);
    else if (name.length > 64) problems.push(`"${name.slice(0, 20)}…" is longer than 64 characters.`);
    if (!isValidLabelValue(label.value)) problems.push(`${name || `Label ${i + 1}`}: the value is a whole number from 1 to 65535.`);
    values.set(label.value, (values.get(label.value) ?? 0) + 1);
    if (name) names.set(name.toLowerCase(), (names.get(name.toLowerCase()) ?? 0) + 1);
  });
  for (const [value, count] of values)
    if (count > 1 && isValidLabelValue(value)) problems.push(`Value ${value} is used by ${count} labels.`);
  for (const [name, count] of names) if (count > 1) problems.push(`The name "${name}" is used by ${count} labels.`);
  return problems;
}
