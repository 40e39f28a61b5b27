import type { HintWords } from '../shared/errors.ts';

/** Error hints (shared/errors.ts) as the command line says them: with its flags. */
export const CLI_WORDS: HintWords = {
  setting: (setting, value) => `--${setting}${value === undefined ? '' : ` ${value}`}`,
  remedy: (remedy, hint) => {
    switch (remedy) {
      case 'resume-or-rename':
        return ': add --resume to continue it, or choose another --name';
      case 'more-epochs':
        return ' (give a larger --epochs to train further)';
      case 'without-resume':
        return '; run it without --resume';
      case 'init-none':
        return '; use --init none for random weights';
      case 'annotate':
        return `: annotate some slices in the app, or take them from a label volume with 'ssmtl annotations import --workspace ${hint.value ?? 'DIR'} --series ID --labels FILE'`;
    }
  },
};
