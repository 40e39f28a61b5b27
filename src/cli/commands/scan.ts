import type { ScanResult } from '../../shared/series.ts';
import { InputError } from '../../shared/errors.ts';
import { scanPaths } from '../../engine/node/import/scan-paths.ts';
import type { Command } from '../command.ts';
import { describeScan } from '../describe.ts';

export const scanCommand: Command = {
  name: 'scan',
  summary: 'Find DICOM series and NIfTI volumes under files and folders (nothing is written).',
  usage: 'scan PATH… [--json]',
  options: {},
  allowPositionals: true,
  async run(context) {
    if (context.positionals.length === 0) throw new InputError('give at least one file or folder to scan');
    const { result } = scanPaths(context.positionals, (p) => context.progress.update(p));
    return { json: result satisfies ScanResult, text: describeScan(result) };
  },
};
