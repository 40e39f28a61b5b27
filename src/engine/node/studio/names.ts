import { InputError } from '../../../shared/errors.ts';
import { compactTimestamp } from '../segmentation/export-request.ts';

/**
 * The names the studio gives what the interface starts without naming it: models of a
 * pre-training or a fine-tuning (exported files: segmentation/export-request.ts).
 */

/**
 * The model a pre-training with these settings trains: the name given, or the name the
 * settings derive. The same settings again after a finished run train a new model beside
 * it (`-run2`, `-run3`…: the first that is not finished, so an interrupted one resumes).
 */
export function pretrainModelName(given: string, derived: string, finished: (name: string) => boolean): string {
  let name = given || derived;
  if (!finished(name)) return name;
  if (given) throw new InputError(`a finished model named '${name}' already exists: choose another name, or leave the name empty`);
  for (let n = 2; finished(name); n++) name = `${derived}-run${n}`;
  return name;
}

/** A fine-tuning's model when none is named: where it starts from, and when. */
export function finetuneModelName(init: string): string {
  return `seg-${init === 'none' ? 'scratch' : init}`.slice(0, 80) + `-${compactTimestamp()}`;
}
