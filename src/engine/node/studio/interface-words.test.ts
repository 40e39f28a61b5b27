import { describe, expect, it } from 'vitest';
import { CLI_WORDS } from '../../../cli/hint-words.ts';
import { InputError, wordError, type ErrorHint, type Remedy } from '../../../shared/errors.ts';
import { JobFailedError } from '../process/job-failed-error.ts';
import { INTERFACE_WORDS, forInterface } from './interface-words.ts';

/** An engine error's hint, worded by the command line (flags) and by the interface (fields and buttons). */
describe('error hints', () => {
  const REMEDIES: Remedy[] = ['resume-or-rename', 'more-epochs', 'without-resume', 'init-none', 'annotate'];

  it('become flags on the command line, as the CLI always said them', () => {
    const error = new InputError("model 'm' already exists in /ws", { remedy: 'resume-or-rename' });
    expect(wordError(error, CLI_WORDS)).toBe("model 'm' already exists in /ws: add --resume to continue it, or choose another --name");
    const backend = new InputError('@tensorflow/tfjs-node is not installed', { setting: 'backend', value: 'tensorflow' });
    expect(wordError(backend, CLI_WORDS)).toBe('--backend tensorflow: @tensorflow/tfjs-node is not installed');
    expect(wordError(new InputError("no model 'x' in /ws (it has: none)", { setting: 'init', remedy: 'init-none' }), CLI_WORDS)).toBe(
      "--init: no model 'x' in /ws (it has: none); use --init none for random weights",
    );
  });

  it('become the fields and buttons of the interface, never a flag, also after crossing a job process', () => {
    for (const remedy of REMEDIES)
      for (const hint of [{ remedy }, { setting: 'backend', value: 'wasm', remedy }, { setting: 'resume', remedy }] as ErrorHint[]) {
        const worded = wordError(new InputError('it failed', hint), INTERFACE_WORDS);
        expect(worded).toMatch(/^((Compute|Resume)( wasm)?: )?it failed/);
        expect(worded).not.toMatch(/--|ssmtl /);
      }
    const crossed = new JobFailedError('input', 'not installed', { setting: 'backend', value: 'tensorflow' });
    expect(wordError(crossed, INTERFACE_WORDS)).toBe('Compute tensorflow: not installed');
    const rethrown = forInterface(new InputError('nothing to resume', { setting: 'resume', remedy: 'without-resume' }));
    expect(rethrown).toBeInstanceOf(InputError);
    expect((rethrown as Error).message).toBe('Resume: nothing to resume: start a new one');
  });
});
