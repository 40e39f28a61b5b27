import { dirname, join, resolve } from 'node:path';
import { writeFileAtomically } from '../../../engine/node/atomic-file.ts';
import { ExperimentInterrupted, ExperimentRun } from '../../../engine/node/experiment/run-experiment.ts';
import { JobControl } from '../../../engine/train/control.ts';
import { InputError } from '../../../shared/errors.ts';
import type { Command } from '../../command.ts';
import { optionalString } from '../../options.ts';
import { readExperimentConfig } from './parse-config.ts';
import { experimentMarkdown } from './tables.ts';

/**
 * `ssmtl experiment CONFIG.json` (CONTRACT.md): the paper's protocol end to end, and its
 * tables. Results go to a folder beside the config (`<name>-results`, or --out DIR): the
 * workspace with every volume, one file per finished unit, results.json and results.md.
 * Run the same command again after an interruption (Ctrl-C, a kill, a reboot) and it
 * continues where it was; `--collect` prints the tables of what is done so far.
 */
export const experimentCommand: Command = {
  name: 'experiment',
  summary:
    "Run the paper's protocol from a config: pre-train each method, fine-tune on a few labelled slices per scan, score the test scans, denoise; print the tables (resumable)",
  usage: 'experiment CONFIG.json [--out DIR] [--collect] [--json]',
  options: {
    out: { type: 'string' },
    collect: { type: 'boolean' },
  },
  allowPositionals: true,
  async run(context) {
    if (context.positionals.length !== 1) throw new InputError('give one CONFIG.json (see CONTRACT.md `experiment` for its keys)');
    const file = context.positionals[0];
    const config = readExperimentConfig(file);
    const dir = resolve(optionalString(context, 'out') ?? join(dirname(resolve(file)), `${config.name}-results`));
    const control = new JobControl();
    const onSignal = () => {
      context.log(`stopping at the next micro-batch; run the same command again to continue (results in ${dir})`);
      control.cancel();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const run = new ExperimentRun(config, dir, {
      log: context.log,
      progress: (stage, done, total, detail) => context.progress.update({ stage, done, total: Math.max(total, done, 1), detail }),
      control,
    });
    try {
      const result = context.values.collect ? await run.collect() : await run.run();
      const markdown = experimentMarkdown(result);
      writeFileAtomically(join(dir, 'results.json'), new TextEncoder().encode(JSON.stringify(result, null, 2)));
      writeFileAtomically(join(dir, 'results.md'), new TextEncoder().encode(markdown + '\n'));
      context.log(`results in ${dir} (results.md, results.json, units/)`);
      return { json: result, text: markdown };
    } catch (error) {
      if (error instanceof ExperimentInterrupted)
        throw new Error(
          `experiment ${config.name} was interrupted (${error.message}); run the same command again to continue where it stopped`,
        );
      throw error;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
