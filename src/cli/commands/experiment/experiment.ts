import { dirname, join, resolve } from 'node:path';
import { writeFileAtomically } from '../../../engine/node/atomic-file.ts';
import { ExperimentInterrupted, ExperimentRun } from '../../../engine/node/experiment/run-experiment.ts';
import { submitUnits } from '../../../engine/node/experiment/slurm.ts';
import { JobControl } from '../../../engine/train/control.ts';
import { InputError } from '../../../shared/errors.ts';
import type { Command } from '../../command.ts';
import { INTENSITY_FLAGS, INTENSITY_USAGE, intensityFlags, intensityOption } from '../../intensity-options.ts';
import { optionalNumber, optionalString } from '../../options.ts';
import { readExperimentConfig } from './parse-config.ts';
import { experimentMarkdown } from './tables.ts';

/**
 * `ssmtl experiment CONFIG.json` (CONTRACT.md): the paper's protocol end to end, and its
 * tables. Results go to a folder beside the config (`<name>-results`, or --out DIR): the
 * workspace with every volume, one file per finished unit, results.json and results.md.
 * Run the same command again after an interruption (Ctrl-C, a kill, a reboot) and it
 * continues where it was; `--collect` prints the tables of what is done so far. With
 * `--slurm` it submits the units that have no result yet to Slurm instead, one array task
 * each (see slurm.ts); `--unit NAME` is what such a task runs.
 */
export const experimentCommand: Command = {
  name: 'experiment',
  summary:
    "Run the paper's protocol from a config: pre-train each method, fine-tune on a few labelled slices per scan, score the test scans, denoise; print the tables (resumable)",
  usage: `experiment CONFIG.json [--out DIR] [--collect] [--slurm [--partition P] [--gpus-per-task N]] [--unit NAME] ${INTENSITY_USAGE} (overrides the config's "intensity") [--json]`,
  options: {
    out: { type: 'string' },
    collect: { type: 'boolean' },
    slurm: { type: 'boolean' },
    partition: { type: 'string' },
    'gpus-per-task': { type: 'string' },
    unit: { type: 'string' },
    ...INTENSITY_FLAGS,
  },
  allowPositionals: true,
  async run(context) {
    if (context.positionals.length !== 1) throw new InputError('give one CONFIG.json (see CONTRACT.md `experiment` for its keys)');
    const file = context.positionals[0];
    const intensity = intensityOption(context);
    const config = { ...readExperimentConfig(file), ...(intensity !== undefined ? { intensity } : {}) };
    const dir = resolve(optionalString(context, 'out') ?? join(dirname(resolve(file)), `${config.name}-results`));
    if (context.values.slurm) {
      // Every volume imported once here, before tasks that share the workspace start.
      const run = new ExperimentRun(config, dir, { log: context.log, progress: () => {} });
      await run.prepare();
      const submission = submitUnits({
        command: [process.execPath, resolve(process.argv[1]), 'experiment', resolve(file), '--out', dir, ...intensityFlags(intensity)],
        resultsDir: dir,
        name: config.name,
        units: run.missingUnits(),
        partition: optionalString(context, 'partition'),
        ...(context.values['gpus-per-task'] !== undefined
          ? { gpusPerTask: optionalNumber(context, 'gpus-per-task', 1, { integer: true, min: 1, max: 64 }) }
          : {}),
      });
      const { jobId, tasks, arrays } = submission;
      if (jobId === null) context.log(`every unit of ${config.name} has its result: nothing submitted; ssmtl experiment ${file} --collect`);
      else
        context.log(
          `submitted ${arrays.map((a) => `job ${a.jobId} (${a.units.length} tasks)`).join(', then ')}; when it has ended: ssmtl experiment ${file} --collect`,
        );
      return {
        json: { jobId, tasks, resultsDir: dir, arrays },
        text: jobId === null ? `Nothing to run: results in ${dir}` : `Slurm job ${jobId}: ${tasks} tasks, results in ${dir}`,
      };
    }
    const unit = optionalString(context, 'unit');
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
      const result = context.values.collect ? await run.collect() : await run.run(unit);
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
