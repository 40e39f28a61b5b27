/**
 * A workspace's label set: what an annotator can paint and what a segmentation model
 * predicts. Value 0 is background everywhere and never part of a label set.
 */
export interface LabelDefinition {
  /** the value stored in label maps and exported volumes (1..65535) */
  value: number;
  name: string;
  /** CSS hex colour, '#rrggbb' */
  color: string;
}

/**
 * The seven whole-heart structures of the MM-WHS challenge (Zhuang et al.), with the
 * challenge's label values, which the paper's CT-WHS and MRI-WHS data use. The first
 * schema migration that creates the label set writes these out literally.
 */
export const MMWHS_LABELS: readonly LabelDefinition[] = [
  { value: 500, name: 'LV', color: '#ff0000' },
  { value: 600, name: 'RV', color: '#00ff00' },
  { value: 420, name: 'LA', color: '#0000ff' },
  { value: 550, name: 'RA', color: '#ffff00' },
  { value: 205, name: 'Myocardium', color: '#00ffff' },
  { value: 820, name: 'Ascending aorta', color: '#ff00ff' },
  { value: 850, name: 'Pulmonary artery', color: '#ffa500' },
];

export const BACKGROUND = 0;
export const MAX_LABEL_VALUE = 65535;

/** A colour for a label that arrived without one (e.g. from an imported volume): distinct hues by value. */
export function defaultLabelColor(value: number): string {
  const hue = (value * 137.508) % 360;
  const [r, g, b] = hslToRgb(hue / 360, 0.75, 0.55);
  return `#${[r, g, b]
    .map((c) =>
      Math.round(c * 255)
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}

function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const q = l < 0.5 ? l * (1 + s) : l + s - l * s;
  const p = 2 * l - q;
  const channel = (t: number) => {
    const u = t < 0 ? t + 1 : t > 1 ? t - 1 : t;
    if (u < 1 / 6) return p + (q - p) * 6 * u;
    if (u < 1 / 2) return q;
    if (u < 2 / 3) return p + (q - p) * (2 / 3 - u) * 6;
    return p;
  };
  return [channel(h + 1 / 3), channel(h), channel(h - 1 / 3)];
}

/** '#rrggbb' → [r, g, b] (0..255); `fallback` for anything else. */
export function labelRgb(color: string, fallback: [number, number, number] = [255, 0, 0]): [number, number, number] {
  const match = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  return match ? [parseInt(match[1], 16), parseInt(match[2], 16), parseInt(match[3], 16)] : fallback;
}

export function isValidLabelValue(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= MAX_LABEL_VALUE;
}
