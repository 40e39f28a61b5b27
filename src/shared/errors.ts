/** Settings a person changes to fix what an error says, named apart from how a front end asks for them. */
export type Setting = 'backend' | 'init' | 'resume' | 'name' | 'size' | 'series' | 'backbone';

/** What to do next, as an error's hint says it. */
export type Remedy =
  /** the model exists: continue it, or choose another name */
  | 'resume-or-rename'
  /** the run has finished its epochs: give more to train further */
  | 'more-epochs'
  /** there is nothing to resume: start it afresh */
  | 'without-resume'
  /** no model to start from: start from random weights */
  | 'init-none'
  /** no slice is annotated: annotate some (`value`: the workspace) */
  | 'annotate';

/**
 * Where an error points, instead of naming one front end's controls: the setting at
 * fault (and the value given) and what to do next. Each front end words it itself: the
 * CLI with its flags (cli/hint-words.ts: "--backend tensorflow: …"), the interface with
 * its fields and buttons (engine/node/studio/interface-words.ts: "Compute tensorflow: …").
 */
export interface ErrorHint {
  setting?: Setting;
  value?: string;
  remedy?: Remedy;
}

/** How a front end words a hint: the setting at fault (before the message), the remedy (after it). */
export interface HintWords {
  setting(setting: Setting, value: string | undefined): string;
  remedy(remedy: Remedy, hint: ErrorHint): string;
}

/**
 * Errors the user can act on. The CLI maps `InputError` to exit code 2 with its
 * message on one line; anything else is an internal failure (exit 1).
 */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    message: string,
    readonly hint?: ErrorHint,
  ) {
    super(message);
  }
}

/** The hint an error carries (an InputError, a JobFailedError, a checkpoint that could not be written…), if any. */
export function hintOf(error: unknown): ErrorHint | undefined {
  const hint = (error as { hint?: unknown } | null | undefined)?.hint;
  return typeof hint === 'object' && hint !== null ? (hint as ErrorHint) : undefined;
}

/** An error's message with its hint in a front end's words. */
export function wordError(error: unknown, words: HintWords): string {
  const message = errorMessage(error);
  const hint = hintOf(error);
  if (!hint) return message;
  const setting = hint.setting ? `${words.setting(hint.setting, hint.value)}: ` : '';
  return `${setting}${message}${hint.remedy ? words.remedy(hint.remedy, hint) : ''}`;
}

/** A file that cannot be used, with the reason a person can read in `skipped`. */
export class UnreadableFileError extends Error {
  override readonly name = 'UnreadableFileError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** "'a', 'b' and 1998 more": names in a message, a few of them however many there are. */
export function quoteSome(values: readonly string[], max = 5): string {
  const shown = values
    .slice(0, max)
    .map((v) => `'${v.length > 80 ? `${v.slice(0, 80)}…` : v}'`)
    .join(', ');
  return values.length > max ? `${shown} and ${values.length - max} more` : shown;
}
