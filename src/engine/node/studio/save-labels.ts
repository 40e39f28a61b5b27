import type { PaletteLabel } from '../../../shared/api.ts';
import { replaceLabelSet } from '../annotations/edit-label-set.ts';
import type { StudioSession } from './studio-session.ts';

/** The workspace's label set replaced (edit-label-set.ts checks it); every page reloads its palette on the event. */
export function saveLabels(session: StudioSession, labels: PaletteLabel[]): PaletteLabel[] {
  const saved = replaceLabelSet(session.requireWorkspace(), labels);
  session.emit({ type: 'labels-changed' });
  return saved;
}
