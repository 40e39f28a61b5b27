import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { storageErrorOf } from '../engine/node/workspace/storage-problem.ts';
import { InputError, wordError } from '../shared/errors.ts';
import type { Command } from './command.ts';
import { CLI_WORDS } from './hint-words.ts';
import { ProgressBar } from './progress-bar.ts';
import { commandLoaders } from './commands/index.ts';

const EXIT_OK = 0;
const EXIT_INTERNAL = 1;
const EXIT_USAGE = 2;

async function helpText(): Promise<string> {
  const commands = await Promise.all(commandLoaders.map((entry) => entry.load()));
  const lines = ['Usage: ssmtl <command> [options]', '', 'Commands:'];
  for (const command of commands) lines.push(`  ${command.usage}`, `      ${command.summary}`);
  lines.push('', 'Every command takes --json (one JSON document on stdout; progress on stderr).');
  return lines.join('\n');
}

/** Loads the command whose (one or two word) name matches the start of argv. */
async function findCommand(argv: string[]): Promise<{ command: Command; rest: string[] } | null> {
  for (const entry of commandLoaders) {
    const words = entry.name.split(' ');
    if (words.every((word, i) => argv[i] === word)) return { command: await entry.load(), rest: argv.slice(words.length) };
  }
  return null;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write((await helpText()) + '\n');
    return argv.length === 0 ? EXIT_USAGE : EXIT_OK;
  }
  const found = await findCommand(argv);
  if (!found) {
    process.stderr.write(`ssmtl: unknown command '${argv[0]}' (run 'ssmtl help' for the list)\n`);
    return EXIT_USAGE;
  }
  const { command, rest } = found;
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...command.options, json: { type: 'boolean' }, help: { type: 'boolean' } },
      allowPositionals: command.allowPositionals ?? false,
      strict: true,
    });
  } catch (error) {
    process.stderr.write(`ssmtl ${command.name}: ${wordError(error, CLI_WORDS)} (usage: ssmtl ${command.usage})\n`);
    return EXIT_USAGE;
  }
  if (parsed.values.help) {
    process.stdout.write(`Usage: ssmtl ${command.usage}\n${command.summary}\n`);
    return EXIT_OK;
  }
  const json = Boolean(parsed.values.json);
  try {
    const output = await command.run({
      values: parsed.values,
      positionals: parsed.positionals,
      json,
      log: (line) => process.stderr.write(line + '\n'),
      progress: new ProgressBar(process.stderr, process.env.SSMTL_QUIET === '1'),
    });
    await writeStdout(json ? JSON.stringify(output.json) + '\n' : output.text.endsWith('\n') ? output.text : output.text + '\n');
    return EXIT_OK;
  } catch (thrown) {
    // A read-only, forbidden or full folder is the user's to mend: exit 2 naming it.
    const workspace = typeof parsed.values.workspace === 'string' ? resolve(parsed.values.workspace) : process.cwd();
    const error = storageErrorOf(thrown, workspace) ?? thrown;
    if (error instanceof InputError) {
      process.stderr.write(`ssmtl ${command.name}: ${oneLine(wordError(error, CLI_WORDS))}\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(`ssmtl ${command.name}: internal error: ${oneLine(wordError(error, CLI_WORDS))}\n`);
    if (process.env.SSMTL_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
    return EXIT_INTERNAL;
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

/** Large JSON documents must be flushed before the process exits. */
function writeStdout(text: string): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(text, (error) => (error ? reject(error) : resolve())));
}
