import type { Command } from '../command.ts';

/** Every `ssmtl` command, in the order `ssmtl help` lists them. */
export const commands: Command[] = [];
