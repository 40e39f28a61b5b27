import type { ParseArgsConfig } from 'node:util';
import type { ProgressBar } from './progress-bar.ts';

/** One `ssmtl` sub-command. `run` returns the JSON document that `--json` prints. */
export interface Command {
  /** e.g. "scan", or "annotations import" for a two-word command */
  name: string;
  /** one line, shown by `ssmtl help` */
  summary: string;
  /** the usage line, e.g. "scan PATH… [--json]" */
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  allowPositionals?: boolean;
  run(context: CommandContext): Promise<CommandOutput>;
}

export interface CommandContext {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
  json: boolean;
  /** progress and logs: always stderr, so stdout stays one JSON document */
  log: (line: string) => void;
  progress: ProgressBar;
}

export interface CommandOutput {
  /** printed with --json */
  json: unknown;
  /** printed without --json */
  text: string;
}
