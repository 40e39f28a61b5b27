/** The viewer's tools: what the toolbar offers, with each one's key and a line of help. */
export type ToolName = 'brush' | 'eraser' | 'threshold' | 'scissors' | 'fill' | 'take' | 'windowLevel' | 'pan' | 'zoom';

export interface ToolInfo {
  id: ToolName;
  label: string;
  key: string;
  hint: string;
}

export const TOOLS: readonly ToolInfo[] = [
  { id: 'brush', label: 'Brush', key: 'B', hint: 'Paint the selected label' },
  { id: 'eraser', label: 'Eraser', key: 'E', hint: 'Erase any label' },
  {
    id: 'threshold',
    label: 'Threshold',
    key: 'T',
    hint: 'Brush that paints only pixels whose value lies in the range set in the side panel (default 100–700 HU: contrast-filled blood)',
  },
  { id: 'scissors', label: 'Scissors', key: 'C', hint: 'Circle scissors: drag a circle to fill it with the label' },
  {
    id: 'fill',
    label: 'Fill',
    key: 'F',
    hint: 'Click inside an outline painted with the brush to fill it (fills the unlabelled region around the click)',
  },
  {
    id: 'take',
    label: 'Take',
    key: 'A',
    hint: 'Click a region the model predicted to take it into the annotation (once a model has segmented this series; its prediction shows while this tool is selected)',
  },
  { id: 'windowLevel', label: 'Window', key: 'W', hint: 'Window/level: drag to change brightness and contrast' },
  { id: 'pan', label: 'Pan', key: 'P', hint: 'Drag to move the image (also: middle button)' },
  { id: 'zoom', label: 'Zoom', key: 'Z', hint: 'Drag to zoom (also: right button)' },
];

/** Tools that change the annotation (the others change only the view). */
export const EDITING_TOOLS: readonly ToolName[] = ['brush', 'eraser', 'threshold', 'scissors', 'fill', 'take'];
