import { labelRgb, type LabelDefinition } from '../../shared/labels.ts';

/**
 * The names and colours of a NIfTI label volume's values, written beside it in ITK-SNAP's
 * label description format (Segmentation › Import Label Descriptions in ITK-SNAP; other
 * tools such as ITK's and MONAI Label's readers take it too): one line per value,
 * `IDX R G B A VIS MSH "LABEL"`, with value 0 the clear label.
 */
export function itkSnapLabelTable(labels: readonly LabelDefinition[]): string {
  const line = (value: number, [r, g, b]: number[], alpha: number, name: string) =>
    `${String(value).padStart(5)} ${String(r).padStart(5)} ${String(g).padStart(4)} ${String(b).padStart(4)}        ${alpha}  ${alpha}  ${alpha}    "${name.replace(/"/g, "'")}"`;
  return [
    '################################################',
    '# ITK-SnAP Label Description File',
    '# File format:',
    '# IDX   -R-  -G-  -B-  -A--  VIS MSH  LABEL',
    '# Written by SSMTL Studio',
    '################################################',
    line(0, [0, 0, 0], 0, 'Clear Label'),
    ...labels.map((l) => line(l.value, labelRgb(l.color), 1, l.name)),
    '',
  ].join('\n');
}

/** Where the label table of a NIfTI file goes: `x.nii.gz` → `x.labels.txt`. */
export function labelTablePath(niftiPath: string): string {
  return `${niftiPath.replace(/\.nii(\.gz)?$/i, '')}.labels.txt`;
}
