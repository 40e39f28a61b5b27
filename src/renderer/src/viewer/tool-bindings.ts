import type { ToolName } from './tools.ts';

/** A mouse input a tool can answer to. */
export type MouseInput = 'left' | 'middle' | 'right' | 'wheel';

/** The tools a viewer binds: the selectable ones, plus slice scrolling. */
export type BoundTool = ToolName | 'scroll';

const ALL_TOOLS: BoundTool[] = ['brush', 'eraser', 'threshold', 'scissors', 'fill', 'take', 'windowLevel', 'pan', 'zoom', 'scroll'];

/** What a button does whatever tool is selected. */
const FIXED: Partial<Record<BoundTool, MouseInput>> = { scroll: 'wheel', pan: 'middle', zoom: 'right' };

/**
 * The complete mouse bindings of every tool while `selected` is the selected tool: the
 * left button belongs to the selected tool alone; the wheel scrolls, the middle button
 * pans and the right button zooms, whatever is selected. Applied whole at each switch
 * (never merged into what was bound before): Cornerstone's setToolActive adds bindings to
 * a tool's previous ones, so Pan kept the left button after Pan was deselected, and being
 * first in the tool group it took every later stroke of the brush.
 */
export function toolBindings(selected: ToolName): Record<BoundTool, MouseInput[]> {
  const bindings = {} as Record<BoundTool, MouseInput[]>;
  for (const tool of ALL_TOOLS) {
    const fixed = FIXED[tool];
    bindings[tool] = [...(fixed ? [fixed] : []), ...(tool === selected ? (['left'] as const) : [])];
  }
  return bindings;
}
