import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../../shared/errors.ts';
import { writeFileAtomically } from '../atomic-file.ts';

/**
 * An experiment as one Slurm job array (CONTRACT.md `experiment --slurm`): task i runs the
 * units of the config's i-th method (its pre-training, then its fine-tunings and its
 * denoising), in the shared results folder; `--collect` merges them. The folder must be
 * on a file system every node sees, with working file locks (the workspace's catalogue
 * is SQLite).
 */
export interface SlurmOptions {
  /** the `ssmtl` entry point and the config, as every node will call them */
  command: string[];
  resultsDir: string;
  name: string;
  tasks: number;
  partition?: string;
  gpusPerTask?: number;
}

export function batchScript(o: SlurmOptions): string {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return [
    '#!/bin/bash',
    `#SBATCH --job-name=ssmtl-${o.name}`,
    `#SBATCH --array=0-${o.tasks - 1}`,
    `#SBATCH --output=${join(o.resultsDir, 'slurm', 'task-%a.log')}`,
    ...(o.partition ? [`#SBATCH --partition=${o.partition}`] : []),
    ...(o.gpusPerTask ? [`#SBATCH --gpus-per-task=${o.gpusPerTask}`] : []),
    '#SBATCH --ntasks=1',
    `exec ${o.command.map(quote).join(' ')} --task "$SLURM_ARRAY_TASK_ID" --json`,
    '',
  ].join('\n');
}

/** Writes the batch script and submits it with sbatch; the job id. */
export function submitArray(o: SlurmOptions): { jobId: string; script: string } {
  const dir = join(o.resultsDir, 'slurm');
  mkdirSync(dir, { recursive: true });
  const script = join(dir, 'experiment.sbatch');
  writeFileAtomically(script, new TextEncoder().encode(batchScript(o)));
  let out: string;
  try {
    out = execFileSync(process.env.SSMTL_SBATCH ?? 'sbatch', ['--parsable', script], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new InputError('--slurm: sbatch is not on the PATH (install Slurm, or run on a login node)');
    throw new InputError(`--slurm: sbatch refused the job: ${(e.stderr ?? e.message).trim().split('\n').at(-1)}`);
  }
  const jobId = out.trim().split(';')[0];
  if (!/^\d+$/.test(jobId)) throw new InputError(`--slurm: sbatch answered '${out.trim()}', not a job id`);
  return { jobId, script };
}
