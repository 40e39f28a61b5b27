import { describe, expect, it } from 'vitest';
import { toolBindings, type BoundTool, type MouseInput } from './tool-bindings.ts';
import { TOOLS, type ToolName } from './tools.ts';

const SELECTABLE: ToolName[] = TOOLS.map((t) => t.id);

/** Which tools answer to an input: with more than one, the tool group picks whichever it finds first. */
function owners(bindings: Record<BoundTool, MouseInput[]>, input: MouseInput): BoundTool[] {
  return (Object.keys(bindings) as BoundTool[]).filter((tool) => bindings[tool].includes(input));
}

describe('tool bindings', () => {
  it('give the left button to the selected tool alone', () => {
    for (const selected of SELECTABLE) expect(owners(toolBindings(selected), 'left')).toEqual([selected]);
  });

  it('keep the wheel, middle and right buttons on scroll, pan and zoom whatever is selected', () => {
    for (const selected of SELECTABLE) {
      const bindings = toolBindings(selected);
      expect(owners(bindings, 'wheel')).toEqual(['scroll']);
      expect(owners(bindings, 'middle')).toEqual(['pan']);
      expect(owners(bindings, 'right')).toEqual(['zoom']);
    }
  });

  it('leave a deselected painting tool with no binding at all (passive)', () => {
    expect(toolBindings('pan').brush).toEqual([]);
    expect(toolBindings('brush').pan).toEqual(['middle']);
    expect(toolBindings('pan').pan).toEqual(['middle', 'left']);
  });
});
