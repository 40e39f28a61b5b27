import { InputError, hintOf, wordError, type HintWords, type Setting } from '../../../shared/errors.ts';

/** The interface's names of the settings an error can point at (the labels of its fields). */
const FIELDS: Record<Setting, string> = {
  backend: 'Compute',
  init: 'Start from',
  resume: 'Resume',
  name: 'Model name',
  size: 'Size',
  series: 'Series',
  backbone: 'Network',
};

/** Error hints (shared/errors.ts) as the interface says them: with its fields and buttons. */
export const INTERFACE_WORDS: HintWords = {
  setting: (setting, value) => `${FIELDS[setting]}${value === undefined ? '' : ` ${value}`}`,
  remedy: (remedy) => {
    switch (remedy) {
      case 'resume-or-rename':
        return ': start the same settings again to continue it, or choose another model name';
      case 'more-epochs':
        return ' (give it more epochs to train further)';
      case 'without-resume':
        return ': start a new one';
      case 'init-none':
        return '; choose "none" under Start from to begin from random weights';
      case 'annotate':
        return ': paint at least one structure on some slices (Annotate) first';
    }
  },
};

/** An error as the interface shows it; an InputError stays one (the transports tell them apart). */
export function forInterface(error: unknown): unknown {
  if (!hintOf(error)) return error;
  const text = wordError(error, INTERFACE_WORDS);
  return error instanceof InputError ? new InputError(text) : new Error(text);
}
