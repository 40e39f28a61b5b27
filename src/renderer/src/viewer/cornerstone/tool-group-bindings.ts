import {
  CircleScissorsTool,
  Enums as ToolEnums,
  PanTool,
  StackScrollTool,
  WindowLevelTool,
  ZoomTool,
  type Types,
} from '@cornerstonejs/tools';
import { toolBindings, type BoundTool, type MouseInput } from '../tool-bindings.ts';
import type { ToolName } from '../tools.ts';
import { TAKE_TOOL_NAME } from './take-region-tool.ts';
import { FILL_TOOL_NAME } from './undoable-fill-tool.ts';

/** Cornerstone's tool instances behind our tool names. */
export const TOOL_INSTANCES: Record<BoundTool, string> = {
  brush: 'SsmtlBrush',
  eraser: 'SsmtlEraser',
  threshold: 'SsmtlThresholdBrush',
  scissors: CircleScissorsTool.toolName,
  fill: FILL_TOOL_NAME,
  take: TAKE_TOOL_NAME,
  windowLevel: WindowLevelTool.toolName,
  pan: PanTool.toolName,
  zoom: ZoomTool.toolName,
  scroll: StackScrollTool.toolName,
};

const MOUSE: Record<MouseInput, ToolEnums.MouseBindings> = {
  left: ToolEnums.MouseBindings.Primary,
  middle: ToolEnums.MouseBindings.Auxiliary,
  right: ToolEnums.MouseBindings.Secondary,
  wheel: ToolEnums.MouseBindings.Wheel,
};

/**
 * Gives every tool of the group exactly its bindings for `selected` (tool-bindings.ts):
 * each tool's bindings are cleared before they are set, because setToolActive adds to
 * what a tool had. The selected tool is activated last, so its cursor is the one shown.
 */
export function applyToolBindings(group: Types.IToolGroup, selected: ToolName): void {
  const bindings = toolBindings(selected);
  const tools = (Object.keys(TOOL_INSTANCES) as BoundTool[]).sort((a, b) => Number(a === selected) - Number(b === selected));
  for (const tool of tools) group.setToolPassive(TOOL_INSTANCES[tool], { removeAllBindings: true });
  for (const tool of tools) {
    const inputs = bindings[tool];
    if (inputs.length) group.setToolActive(TOOL_INSTANCES[tool], { bindings: inputs.map((input) => ({ mouseButton: MOUSE[input] })) });
  }
}
