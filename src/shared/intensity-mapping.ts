/**
 * How stored values become the network's grey levels before instance normalization (the
 * paper maps Hounsfield units, or MR intensities, to grayscale: Sec. 4.1). Without it,
 * air and a CT scanner's padding (−1024…−3024 HU) dominate a slice's spread and squeeze
 * soft tissue into a sliver of it.
 *
 *   window      CT: clip to level ± width/2 (HU), the way a radiologist windows a scan
 *   percentile  MR and anything without fixed units: clip to the low…high percentiles of
 *               each volume's own values (robust to a few bright or dark outliers)
 *   none        the stored values as they are (models made before this mapping existed)
 *
 * A model records the mapping it was trained with; fine-tuning from it inherits it, and
 * predict and evaluate apply it (engine/data/intensity-mapping.ts does the arithmetic).
 */
export type IntensityMapping =
  | { kind: 'window'; level: number; width: number; preset?: WindowPresetName }
  | { kind: 'percentile'; low: number; high: number }
  | { kind: 'none' };

/** What a user asks for: a mapping, or 'auto' (by the modality of the training series). */
export type IntensitySpec = IntensityMapping | 'auto';

/** Standard CT windows (level, width in HU). */
export const CT_WINDOW_PRESETS = {
  'soft-tissue': { level: 40, width: 400 },
  abdomen: { level: 50, width: 400 },
  mediastinum: { level: 50, width: 350 },
  angio: { level: 300, width: 600 },
  liver: { level: 30, width: 150 },
  lung: { level: -600, width: 1500 },
  bone: { level: 400, width: 1800 },
  brain: { level: 40, width: 80 },
} as const;
export type WindowPresetName = keyof typeof CT_WINDOW_PRESETS;

/**
 * CT's default: the soft-tissue window, the one the viewer opens a CT with, so the network
 * sees the contrast the annotator saw. (The workspace does not record the body part; a
 * preset or level/width says otherwise.)
 */
export const DEFAULT_CT_PRESET: WindowPresetName = 'soft-tissue';
export const DEFAULT_PERCENTILES = { low: 0.5, high: 99.5 } as const;

/** Models and checkpoints without a recorded mapping were trained on the stored values. */
export const NO_MAPPING: IntensityMapping = { kind: 'none' };

export function windowPreset(name: WindowPresetName): IntensityMapping {
  return { kind: 'window', ...CT_WINDOW_PRESETS[name], preset: name };
}

/** 'auto' made concrete: a CT window when every series is CT, else each volume's percentiles (a window means nothing in MR). */
export function resolveIntensity(spec: IntensitySpec, modalities: (string | null)[]): IntensityMapping {
  if (spec !== 'auto') return spec;
  return modalities.length > 0 && modalities.every((m) => m === 'CT')
    ? windowPreset(DEFAULT_CT_PRESET)
    : { kind: 'percentile', ...DEFAULT_PERCENTILES };
}

export function describeIntensity(mapping: IntensityMapping): string {
  switch (mapping.kind) {
    case 'window':
      return `CT window level ${mapping.level}, width ${mapping.width}${mapping.preset ? ` (${mapping.preset})` : ''}`;
    case 'percentile':
      return `each volume's ${mapping.low}th–${mapping.high}th percentiles`;
    case 'none':
      return 'none: stored values z-scored per slice (as models before intensity mapping)';
  }
}

const PRESET_NAMES = Object.keys(CT_WINDOW_PRESETS).join(', ');

function numbers(text: string, count: number): number[] | null {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length !== count || parts.some((p) => p === '')) return null;
  const values = parts.map(Number);
  return values.every(Number.isFinite) ? values : null;
}

/**
 * One spelling for the command line and experiment configs: `auto`, `none`, `percentile`,
 * `percentile:LOW,HIGH`, `window:LEVEL,WIDTH`, `window:PRESET` or a preset's name. Throws
 * an Error whose message says what is allowed (the caller names the flag or key).
 */
export function parseIntensitySpec(text: string): IntensitySpec {
  const value = text.trim();
  if (value === 'auto' || value === 'none') return value === 'auto' ? 'auto' : NO_MAPPING;
  if (value in CT_WINDOW_PRESETS) return windowPreset(value as WindowPresetName);
  const [kind, args] = value.split(/:(.*)/s, 2) as [string, string | undefined];
  if (kind === 'percentile') {
    if (args === undefined) return { kind: 'percentile', ...DEFAULT_PERCENTILES };
    const p = numbers(args, 2);
    if (!p || p[0] < 0 || p[1] > 100 || p[0] >= p[1])
      throw new Error(`'${text}': percentile:LOW,HIGH needs 0 ≤ LOW < HIGH ≤ 100 (e.g. percentile:0.5,99.5)`);
    return { kind: 'percentile', low: p[0], high: p[1] };
  }
  if (kind === 'window' && args !== undefined)
    return args in CT_WINDOW_PRESETS ? windowPreset(args as WindowPresetName) : parseWindow(args);
  throw new Error(
    `'${text}' is not an intensity mapping: use auto, none, percentile[:LOW,HIGH], window:LEVEL,WIDTH or a CT window preset (${PRESET_NAMES})`,
  );
}

/** `LEVEL,WIDTH` in HU. */
export function parseWindow(text: string): IntensityMapping {
  const w = numbers(text, 2);
  if (!w || w[1] <= 0) throw new Error(`'${text}': a window is LEVEL,WIDTH in HU with WIDTH > 0 (e.g. 40,400)`);
  return { kind: 'window', level: w[0], width: w[1] };
}

export function parseWindowPreset(text: string): IntensityMapping {
  if (!(text in CT_WINDOW_PRESETS)) throw new Error(`'${text}' is not a CT window preset (${PRESET_NAMES})`);
  return windowPreset(text as WindowPresetName);
}

/** A recorded mapping read back (a model's meta, a checkpoint, a task): NO_MAPPING when absent; an Error when malformed. */
export function recordedIntensity(value: unknown): IntensityMapping {
  if (value === undefined || value === null) return NO_MAPPING;
  const v = value as Record<string, unknown>;
  const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  if (v.kind === 'none') return NO_MAPPING;
  if (v.kind === 'window' && finite(v.level) && finite(v.width) && v.width > 0)
    return {
      kind: 'window',
      level: v.level,
      width: v.width,
      ...(typeof v.preset === 'string' && v.preset in CT_WINDOW_PRESETS ? { preset: v.preset as WindowPresetName } : {}),
    };
  if (v.kind === 'percentile' && finite(v.low) && finite(v.high) && v.low >= 0 && v.high <= 100 && v.low < v.high)
    return { kind: 'percentile', low: v.low, high: v.high };
  throw new Error(`unknown intensity mapping ${JSON.stringify(value)}`);
}

/** Whether two mappings give the same grey levels (a preset's name aside). */
export function sameIntensity(a: IntensityMapping, b: IntensityMapping): boolean {
  if (a.kind === 'window' && b.kind === 'window') return a.level === b.level && a.width === b.width;
  if (a.kind === 'percentile' && b.kind === 'percentile') return a.low === b.low && a.high === b.high;
  return a.kind === b.kind;
}
