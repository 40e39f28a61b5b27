import { getEnabledElement, type Types } from '@cornerstonejs/core';
import { BaseTool, type Types as ToolTypes } from '@cornerstonejs/tools';

/** The locate tool's Cornerstone name. */
export const LOCATE_TOOL_NAME = 'SsmtlLocate';

/** Its configuration: where a click or drag points (the views that own the tool group answer). */
export interface LocateConfiguration {
  locate?: (viewportId: string, world: Types.Point3) => void;
}

/**
 * Crosshairs in a reformatted view: a click or a drag there puts the crosshair point under
 * the pointer, which moves the acquisition view to that slice and the other view to the
 * plane through it.
 */
export class LocateTool extends BaseTool {
  static override toolName = LOCATE_TOOL_NAME;

  constructor(toolProps: ToolTypes.PublicToolProps = {}) {
    super(toolProps, { supportedInteractionTypes: ['Mouse', 'Touch'], configuration: {} });
  }

  private locate(evt: ToolTypes.EventTypes.MouseDownActivateEventType | ToolTypes.EventTypes.MouseDragEventType): void {
    const { element, currentPoints } = evt.detail;
    const viewport = getEnabledElement(element)?.viewport;
    const locate = (this.configuration as LocateConfiguration).locate;
    if (viewport && locate) locate(viewport.id, currentPoints.world);
  }

  preMouseDownCallback = (evt: ToolTypes.EventTypes.MouseDownActivateEventType): boolean => {
    this.locate(evt);
    // Not consumed: the drag that may follow comes here too.
    return false;
  };

  mouseDragCallback = (evt: ToolTypes.EventTypes.MouseDragEventType): void => {
    this.locate(evt);
  };
}
