import { TOOLS, type ToolName } from './tools.ts';

/** What a key does in the viewer. */
export type ShortcutAction =
  | { type: 'tool'; tool: ToolName }
  | { type: 'undo' }
  | { type: 'redo' }
  /** move by this many slices (clamped to the series) */
  | { type: 'slice'; step: number }
  | { type: 'firstSlice' }
  | { type: 'lastSlice' }
  | { type: 'radius'; step: number }
  /** the label at this position of the palette (0-based) */
  | { type: 'label'; position: number }
  /** one view, or the three orthogonal views */
  | { type: 'views' };

export interface Shortcut {
  /** KeyboardEvent.key, lower case */
  key: string;
  /** Ctrl (or ⌘ on a Mac) held */
  ctrl?: boolean;
  /** Shift held; undefined: either */
  shift?: boolean;
  action: ShortcutAction;
  /** how the key is written for a person */
  keys: string;
  /** a few words for the help panel; shortcuts sharing them are listed together */
  help: string;
}

const sliceKeys: Shortcut[] = [
  { key: 'arrowup', action: { type: 'slice', step: -1 }, keys: '↑', help: 'previous / next slice (or the wheel)' },
  { key: 'arrowdown', action: { type: 'slice', step: 1 }, keys: '↓', help: 'previous / next slice (or the wheel)' },
  { key: 'arrowleft', action: { type: 'slice', step: -1 }, keys: '←', help: 'previous / next slice (or the wheel)' },
  { key: 'arrowright', action: { type: 'slice', step: 1 }, keys: '→', help: 'previous / next slice (or the wheel)' },
  { key: 'pageup', action: { type: 'slice', step: -10 }, keys: 'PgUp', help: '10 slices back / on' },
  { key: 'pagedown', action: { type: 'slice', step: 10 }, keys: 'PgDn', help: '10 slices back / on' },
  { key: 'home', action: { type: 'firstSlice' }, keys: 'Home', help: 'first / last slice' },
  { key: 'end', action: { type: 'lastSlice' }, keys: 'End', help: 'first / last slice' },
];

/** Every key of the viewer, in the order the help panel lists them. */
export const SHORTCUTS: readonly Shortcut[] = [
  ...sliceKeys,
  ...Array.from({ length: 9 }, (_, i): Shortcut => ({
    key: String(i + 1),
    action: { type: 'label', position: i },
    keys: String(i + 1),
    help: 'label of the palette',
  })),
  ...TOOLS.map((t): Shortcut => ({
    key: t.key.toLowerCase(),
    action: { type: 'tool', tool: t.id },
    keys: t.key,
    help: t.label.toLowerCase(),
  })),
  { key: 'v', action: { type: 'views' }, keys: 'V', help: 'one view / three views' },
  { key: '[', action: { type: 'radius', step: -1 }, keys: '[', help: 'brush radius' },
  { key: ']', action: { type: 'radius', step: 1 }, keys: ']', help: 'brush radius' },
  { key: 'z', ctrl: true, shift: false, action: { type: 'undo' }, keys: 'Ctrl+Z', help: 'undo' },
  { key: 'z', ctrl: true, shift: true, action: { type: 'redo' }, keys: 'Ctrl+Shift+Z', help: 'redo' },
  { key: 'y', ctrl: true, action: { type: 'redo' }, keys: 'Ctrl+Y', help: 'redo' },
];

/** The parts of a key event the table reads. */
export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
  /** the tag of the element with focus: keys typed into a field are the field's */
  targetTag?: string;
  /** …and its type, for an input: a checkbox takes no letters, a slider takes the arrows */
  targetType?: string;
}

/** Inputs that take no typing: after a click on one, the viewer's keys still work. */
const UNTYPED_INPUTS = new Set(['checkbox', 'radio', 'button', 'submit', 'reset', 'color', 'range']);
const SLIDER_KEYS = new Set(['arrowup', 'arrowdown', 'arrowleft', 'arrowright', 'pageup', 'pagedown', 'home', 'end']);

/** Whether the focused element takes this key itself (a text field, a list, a slider's arrows). */
function fieldTakes(press: KeyPress): boolean {
  const tag = press.targetTag?.toUpperCase();
  if (tag === 'SELECT' || tag === 'TEXTAREA') return true;
  if (tag !== 'INPUT') return false;
  const type = press.targetType?.toLowerCase() ?? 'text';
  if (type === 'range') return SLIDER_KEYS.has(press.key.toLowerCase());
  return !UNTYPED_INPUTS.has(type);
}

export function shortcutFor(press: KeyPress): ShortcutAction | null {
  if (press.altKey || fieldTakes(press)) return null;
  const key = press.key.toLowerCase();
  const ctrl = press.ctrlKey || press.metaKey;
  const match = SHORTCUTS.find((s) => s.key === key && !!s.ctrl === ctrl && (s.shift === undefined || s.shift === press.shiftKey));
  return match?.action ?? null;
}

/** The help panel's lines: the keys that share a line of help, then the help. */
export function shortcutHelp(): { keys: string[]; help: string }[] {
  const lines: { keys: string[]; help: string }[] = [];
  for (const s of SHORTCUTS) {
    const line = lines.find((l) => l.help === s.help);
    if (line) line.keys.push(s.keys);
    else lines.push({ keys: [s.keys], help: s.help });
  }
  return lines;
}
