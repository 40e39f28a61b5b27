import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../../shared/errors.ts';
import { writeFileAtomically } from '../atomic-file.ts';

/**
 * An experiment on a Slurm cluster (CONTRACT.md `experiment --slurm`): one array task per
 * unit that has no result yet (a pre-training per method; a fine-tuning per method ×
 * slice strategy × seed; a denoising per method), so a rerun submits only what is missing.
 * Fine-tunings and denoisings need their method's pre-trained weights, so when
 * pre-trainings are missing they go first as an array of their own, and the other units
 * follow as a second array that starts after it (`afterany`: a failed pre-training makes
 * its dependants fail with a message naming it, rather than leave them pending forever).
 * The reported job id is the last array's: when it has ended, everything has.
 *
 * The results folder must be on a file system every node sees, with working file locks
 * (the workspace's catalogue is SQLite).
 */
export interface SlurmOptions {
  /** the `ssmtl experiment CONFIG --out DIR` command line, as every node will call it */
  command: string[];
  resultsDir: string;
  name: string;
  /** the units to run, in order (pre-trainings first) */
  units: string[];
  partition?: string;
  gpusPerTask?: number;
}

export interface SlurmArray {
  jobId: string;
  units: string[];
}

export interface SlurmSubmission {
  /** the job to wait for (null when nothing was missing) */
  jobId: string | null;
  tasks: number;
  arrays: SlurmArray[];
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A batch script whose array task i runs units[i]. */
export function batchScript(o: SlurmOptions & { part: string; dependsOn?: string }): string {
  return [
    '#!/bin/bash',
    `#SBATCH --job-name=ssmtl-${o.name}-${o.part}`,
    `#SBATCH --array=0-${o.units.length - 1}`,
    `#SBATCH --output=${join(o.resultsDir, 'slurm', `${o.part}-%A-%a.log`)}`,
    ...(o.partition ? [`#SBATCH --partition=${o.partition}`] : []),
    ...(o.gpusPerTask ? [`#SBATCH --gpus-per-task=${o.gpusPerTask}`] : []),
    ...(o.dependsOn ? [`#SBATCH --dependency=afterany:${o.dependsOn}`] : []),
    '#SBATCH --ntasks=1',
    `UNITS=(${o.units.map(quote).join(' ')})`,
    `exec ${o.command.map(quote).join(' ')} --unit "\${UNITS[$SLURM_ARRAY_TASK_ID]}" --json`,
    '',
  ].join('\n');
}

/** Writes a batch script and submits it with sbatch; the job id. */
function submit(script: string, text: string): string {
  writeFileAtomically(script, new TextEncoder().encode(text));
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
  return jobId;
}

/** Submits the missing units: pre-trainings first, then the rest after them. */
export function submitUnits(o: SlurmOptions): SlurmSubmission {
  const dir = join(o.resultsDir, 'slurm');
  mkdirSync(dir, { recursive: true });
  const pretrain = o.units.filter((u) => u.startsWith('pretrain/'));
  const rest = o.units.filter((u) => !u.startsWith('pretrain/'));
  const arrays: SlurmArray[] = [];
  if (pretrain.length > 0)
    arrays.push({ jobId: submit(join(dir, 'pretrain.sbatch'), batchScript({ ...o, units: pretrain, part: 'pretrain' })), units: pretrain });
  if (rest.length > 0) {
    const dependsOn = arrays[0]?.jobId;
    arrays.push({ jobId: submit(join(dir, 'units.sbatch'), batchScript({ ...o, units: rest, part: 'units', dependsOn })), units: rest });
  }
  return { jobId: arrays.at(-1)?.jobId ?? null, tasks: o.units.length, arrays };
}
