import type { FinetuneSettings, PretrainSettings } from '../../../shared/api.ts';
import { defaultBackbone } from '../../../shared/job.ts';

/**
 * The training forms' values, checked before they are sent, in the words of the form:
 * the engine refuses bad values too, but in terms of its API ("argument 1.size: expected
 * an integer in [16, 2048]").
 */
export type Problems<T> = Partial<Record<keyof T, string>>;

function wholeNumber(value: unknown, min: number, max: number, what: string): string | null {
  if (typeof value !== 'number' || !Number.isFinite(value)) return `Enter ${what}.`;
  if (!Number.isInteger(value)) return `${capitalise(what)} is a whole number.`;
  if (value < min || value > max) return `${capitalise(what)} is from ${min} to ${max.toLocaleString('en')}.`;
  return null;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The U-Net halves the image four times (a multiple of 16); the ResNet50 five times, and needs at least 64. */
const SIZE_RULES = {
  unet: { unit: 16, min: 16, halvings: 'four' },
  'resnet50-fcn': { unit: 32, min: 64, halvings: 'five' },
} as const;

export function pretrainProblems(settings: PretrainSettings): Problems<PretrainSettings> {
  const problems: Problems<PretrainSettings> = {};
  const t = wholeNumber(settings.t, 1, 50, 'the slice distance t');
  if (t) problems.t = t;
  const epochs = wholeNumber(settings.epochs, 1, 100_000, 'the number of epochs');
  if (epochs) problems.epochs = epochs;
  const rule = SIZE_RULES[settings.backbone ?? defaultBackbone(settings.method)];
  const size = wholeNumber(settings.size, rule.min, 2048, 'the image size');
  if (size) problems.size = size;
  else if (settings.size % rule.unit !== 0)
    problems.size = `The image size is a multiple of ${rule.unit} (the network halves it ${rule.halvings} times): ${Math.max(rule.min, Math.round(settings.size / rule.unit) * rule.unit)} is the nearest.`;
  const width = wholeNumber(settings.width, 1, 512, 'the network width');
  if (width) problems.width = width;
  const batch = wholeNumber(settings.batch, 1, 4096, 'the batch');
  if (batch) problems.batch = batch;
  return problems;
}

export function finetuneProblems(settings: Pick<FinetuneSettings, 'epochs'>): Problems<FinetuneSettings> {
  const epochs = wholeNumber(settings.epochs, 1, 100_000, 'the number of epochs');
  return epochs ? { epochs } : {};
}

/** One line for a disabled button's tooltip. */
export function problemsLine<T>(problems: Problems<T>): string {
  return Object.values(problems).join(' ');
}
