import { InputError } from '../shared/errors.ts';
import { parseIntensitySpec, parseWindow, parseWindowPreset, type IntensitySpec } from '../shared/intensity-mapping.ts';
import type { CommandContext } from './command.ts';

/**
 * `--intensity auto|none|percentile[:LOW,HIGH]|window:LEVEL,WIDTH|PRESET`, `--window
 * LEVEL,WIDTH`, `--window-preset NAME` (pretrain, finetune, demo, experiment): how stored
 * values become grey levels (shared/intensity-mapping.ts). At most one of them; undefined
 * when none is given (the command's default).
 */
export const INTENSITY_FLAGS = {
  intensity: { type: 'string' },
  window: { type: 'string' },
  'window-preset': { type: 'string' },
} as const;

export const INTENSITY_USAGE =
  '[--intensity auto|none|percentile[:0.5,99.5] | --window 40,400 | --window-preset soft-tissue|abdomen|angio|…]';

export function intensityOption(context: CommandContext): IntensitySpec | undefined {
  const given = (['intensity', 'window', 'window-preset'] as const).filter((flag) => typeof context.values[flag] === 'string');
  if (given.length > 1) throw new InputError(`--${given[0]} and --${given[1]} both set the intensity mapping: give one`);
  if (given.length === 0) return undefined;
  const flag = given[0];
  const text = context.values[flag] as string;
  const parse = flag === 'window' ? parseWindow : flag === 'window-preset' ? parseWindowPreset : parseIntensitySpec;
  try {
    return parse(text);
  } catch (error) {
    throw new InputError(`--${flag}: ${(error as Error).message}`);
  }
}

/** The flags that give `spec` again (a Slurm task re-runs the command with them). */
export function intensityFlags(spec: IntensitySpec | undefined): string[] {
  if (spec === undefined) return [];
  if (spec === 'auto') return ['--intensity', 'auto'];
  if (spec.kind === 'window') return ['--intensity', `window:${spec.preset ?? `${spec.level},${spec.width}`}`];
  if (spec.kind === 'percentile') return ['--intensity', `percentile:${spec.low},${spec.high}`];
  return ['--intensity', 'none'];
}
