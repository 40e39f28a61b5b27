import {
  BrushTool,
  CircleScissorsTool,
  PaintFillTool,
  PanTool,
  StackScrollTool,
  ToolGroupManager,
  WindowLevelTool,
  ZoomTool,
  addTool,
} from '@cornerstonejs/tools';
import { Enums as ToolEnums, type Types } from '@cornerstonejs/tools';
import { describe, expect, it } from 'vitest';
import { TOOLS, type ToolName } from '../tools.ts';
import { TOOL_INSTANCES, applyToolBindings } from './tool-group-bindings.ts';
import { TAKE_TOOL_NAME, TakeRegionTool } from './take-region-tool.ts';
import { FILL_TOOL_NAME } from './undoable-fill-tool.ts';

const SELECTABLE: ToolName[] = TOOLS.map((t) => t.id);
const { Primary, Auxiliary, Secondary, Wheel } = ToolEnums.MouseBindings;

/** A real Cornerstone tool group with the viewer's tools (no viewport: bindings only). */
function viewerToolGroup(id: string) {
  for (const tool of [BrushTool, CircleScissorsTool, PaintFillTool, TakeRegionTool, PanTool, ZoomTool, WindowLevelTool, StackScrollTool])
    addTool(tool);
  const group = ToolGroupManager.createToolGroup(id)!;
  for (const name of [TOOL_INSTANCES.brush, TOOL_INSTANCES.eraser, TOOL_INSTANCES.threshold])
    group.addToolInstance(name, BrushTool.toolName);
  group.addToolInstance(FILL_TOOL_NAME, PaintFillTool.toolName);
  group.addTool(TAKE_TOOL_NAME);
  for (const tool of [CircleScissorsTool, PanTool, ZoomTool, WindowLevelTool, StackScrollTool]) group.addTool(tool.toolName);
  return group;
}

/** The active tools bound to a mouse button: Cornerstone gives the event to the first it finds. */
function answering(group: ReturnType<typeof viewerToolGroup>, button: number): string[] {
  return Object.entries(group.toolOptions as Record<string, Types.ToolOptionsType>)
    .filter(([, options]) => options.mode === ToolEnums.ToolModes.Active && options.bindings.some((b) => b.mouseButton === button))
    .map(([name]) => name);
}

describe('applyToolBindings on a Cornerstone tool group', () => {
  it('leaves the left button to the newly selected tool alone after every switch, and keeps wheel/middle/right', () => {
    const group = viewerToolGroup('bindings-test');
    applyToolBindings(group, 'brush');
    for (const from of SELECTABLE)
      for (const to of SELECTABLE) {
        applyToolBindings(group, from);
        applyToolBindings(group, to);
        expect(answering(group, Primary), `${from} → ${to}`).toEqual([TOOL_INSTANCES[to]]);
        expect(answering(group, Auxiliary), `${from} → ${to}`).toEqual([TOOL_INSTANCES.pan]);
        expect(answering(group, Secondary), `${from} → ${to}`).toEqual([TOOL_INSTANCES.zoom]);
        expect(answering(group, Wheel), `${from} → ${to}`).toEqual([TOOL_INSTANCES.scroll]);
      }
    ToolGroupManager.destroyToolGroup('bindings-test');
  });
});
