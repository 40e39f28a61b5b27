import { describe, expect, it } from 'vitest';
import { SHORTCUTS, shortcutFor, shortcutHelp, type KeyPress } from './shortcuts.ts';
import { TOOLS } from './tools.ts';

const press = (key: string, more: Partial<KeyPress> = {}): KeyPress => ({
  key,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  altKey: false,
  ...more,
});

describe('the viewer shortcut table', () => {
  it('selects each tool by its toolbar key, whatever the case', () => {
    for (const tool of TOOLS) {
      expect(shortcutFor(press(tool.key.toLowerCase()))).toEqual({ type: 'tool', tool: tool.id });
      expect(shortcutFor(press(tool.key, { shiftKey: true }))).toEqual({ type: 'tool', tool: tool.id });
    }
  });

  it('undoes with Ctrl+Z (or ⌘Z) and redoes with Ctrl+Shift+Z or Ctrl+Y; plain Z zooms', () => {
    expect(shortcutFor(press('z', { ctrlKey: true }))).toEqual({ type: 'undo' });
    expect(shortcutFor(press('z', { metaKey: true }))).toEqual({ type: 'undo' });
    expect(shortcutFor(press('Z', { ctrlKey: true, shiftKey: true }))).toEqual({ type: 'redo' });
    expect(shortcutFor(press('y', { ctrlKey: true }))).toEqual({ type: 'redo' });
    expect(shortcutFor(press('z'))).toEqual({ type: 'tool', tool: 'zoom' });
  });

  it('moves through slices by arrows, pages, Home and End', () => {
    expect(shortcutFor(press('ArrowUp'))).toEqual({ type: 'slice', step: -1 });
    expect(shortcutFor(press('ArrowRight'))).toEqual({ type: 'slice', step: 1 });
    expect(shortcutFor(press('PageDown'))).toEqual({ type: 'slice', step: 10 });
    expect(shortcutFor(press('Home'))).toEqual({ type: 'firstSlice' });
    expect(shortcutFor(press('End'))).toEqual({ type: 'lastSlice' });
  });

  it('switches between one view and three views with V', () => {
    expect(shortcutFor(press('v'))).toEqual({ type: 'views' });
    expect(shortcutFor(press('V', { shiftKey: true }))).toEqual({ type: 'views' });
  });

  it('picks palette labels 1–9 and changes the radius with [ and ]', () => {
    expect(shortcutFor(press('1'))).toEqual({ type: 'label', position: 0 });
    expect(shortcutFor(press('9'))).toEqual({ type: 'label', position: 8 });
    expect(shortcutFor(press('0'))).toBeNull();
    expect(shortcutFor(press('['))).toEqual({ type: 'radius', step: -1 });
    expect(shortcutFor(press(']'))).toEqual({ type: 'radius', step: 1 });
  });

  it('leaves keys typed into a field, Alt combinations and other Ctrl keys alone', () => {
    expect(shortcutFor(press('b', { targetTag: 'INPUT' }))).toBeNull();
    expect(shortcutFor(press('z', { ctrlKey: true, targetTag: 'textarea' }))).toBeNull();
    expect(shortcutFor(press('b', { targetTag: 'INPUT', targetType: 'number' }))).toBeNull();
    expect(shortcutFor(press('b', { altKey: true }))).toBeNull();
    expect(shortcutFor(press('b', { ctrlKey: true }))).toBeNull();
    expect(shortcutFor(press('q'))).toBeNull();
  });

  it('keeps working after a click on a checkbox or a slider (which take no letters)', () => {
    expect(shortcutFor(press('v', { targetTag: 'INPUT', targetType: 'checkbox' }))).toEqual({ type: 'views' });
    expect(shortcutFor(press('b', { targetTag: 'INPUT', targetType: 'range' }))).toEqual({ type: 'tool', tool: 'brush' });
    // The slider's own arrows move the slider, not the slice.
    expect(shortcutFor(press('ArrowUp', { targetTag: 'INPUT', targetType: 'range' }))).toBeNull();
  });

  it('has no key that means two things', () => {
    const seen = new Set<string>();
    for (const s of SHORTCUTS)
      for (const shift of s.shift === undefined ? [false, true] : [s.shift]) {
        const id = `${s.ctrl ? 'ctrl+' : ''}${shift ? 'shift+' : ''}${s.key}`;
        expect(seen.has(id), id).toBe(false);
        seen.add(id);
      }
  });

  it('lists every shortcut in the help, keys sharing a line together', () => {
    const help = shortcutHelp();
    expect(help.find((l) => l.help === 'undo')?.keys).toEqual(['Ctrl+Z']);
    expect(help.find((l) => l.help === 'redo')?.keys).toEqual(['Ctrl+Shift+Z', 'Ctrl+Y']);
    expect(help.flatMap((l) => l.keys)).toHaveLength(SHORTCUTS.length);
  });
});
