import { InputError } from '../shared/errors.ts';
import type { BackendChoice } from '../shared/job.ts';
import { isBackendChoice } from '../engine/backends/backend-names.ts';
import type { CommandContext } from './command.ts';

/** Typed readers for parsed flags, each failing with a message that names the flag. */

export function requireString(context: CommandContext, flag: string): string {
  const value = context.values[flag];
  if (typeof value !== 'string' || value.length === 0) throw new InputError(`--${flag} is required`);
  return value;
}

export function optionalString(context: CommandContext, flag: string): string | undefined {
  const value = context.values[flag];
  return typeof value === 'string' ? value : undefined;
}

export function stringList(context: CommandContext, flag: string): string[] {
  const value = context.values[flag];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

export function optionalNumber(
  context: CommandContext,
  flag: string,
  fallback: number,
  { integer = false, min = -Infinity, max = Infinity }: { integer?: boolean; min?: number; max?: number } = {},
): number {
  const raw = context.values[flag];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    const kind = integer ? 'an integer' : 'a number';
    const range = Number.isFinite(min) || Number.isFinite(max) ? ` in [${min}, ${max}]` : '';
    throw new InputError(`--${flag} must be ${kind}${range}, got '${String(raw)}'`);
  }
  return value;
}

/** `--backend`: auto (the default) or one backend by name. */
export function backendChoice(context: CommandContext): BackendChoice {
  const backend = optionalString(context, 'backend') ?? 'auto';
  if (!isBackendChoice(backend)) throw new InputError(`--backend must be auto, tensorflow, webgpu, wasm or cpu, got '${backend}'`);
  return backend;
}
