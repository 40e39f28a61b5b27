import { getEnabledElement, type Types } from '@cornerstonejs/core';
import { BaseTool, type Types as ToolTypes } from '@cornerstonejs/tools';

/** The take tool's Cornerstone name. */
export const TAKE_TOOL_NAME = 'SsmtlTakeRegion';

/** Its configuration: what a click asks for (the session that owns the tool group answers). */
export interface TakeRegionConfiguration {
  take?: (viewportId: string, world: Types.Point3) => void;
}

/**
 * Assisted annotation: a click on a region the model predicted takes that connected
 * region into the annotation (the session does it, as one undoable edit).
 */
export class TakeRegionTool extends BaseTool {
  static override toolName = TAKE_TOOL_NAME;

  constructor(toolProps: ToolTypes.PublicToolProps = {}) {
    super(toolProps, { supportedInteractionTypes: ['Mouse', 'Touch'], configuration: {} });
  }

  preMouseDownCallback = (evt: ToolTypes.EventTypes.MouseDownActivateEventType): boolean => {
    const { element, currentPoints } = evt.detail;
    const viewport = getEnabledElement(element)?.viewport;
    const take = (this.configuration as TakeRegionConfiguration).take;
    if (!viewport || !take) return false;
    take(viewport.id, currentPoints.world);
    return true;
  };
}
