import { InputError } from '../../shared/errors.ts';
import { scanPaths } from '../../engine/node/import/scan-paths.ts';
import { importScanned } from '../../engine/node/import/import-series.ts';
import { Workspace } from '../../engine/node/workspace/workspace.ts';
import type { Command } from '../command.ts';
import { requireString, stringList } from '../options.ts';
import { describeImport } from '../describe.ts';

export const importCommand: Command = {
  name: 'import',
  summary: 'Add the series found under PATHs to a workspace (created when missing); re-running completes or skips.',
  usage: 'import PATH… --workspace DIR [--series ID]… [--json]',
  options: { workspace: { type: 'string' }, series: { type: 'string', multiple: true } },
  allowPositionals: true,
  async run(context) {
    if (context.positionals.length === 0) throw new InputError('give at least one file or folder to import');
    const workspaceDir = requireString(context, 'workspace');
    const wanted = stringList(context, 'series');
    const scan = scanPaths(context.positionals, (p) => context.progress.update(p));
    const found = new Set(scan.result.series.map((s) => s.id));
    const missing = wanted.filter((id) => !found.has(id));
    if (missing.length > 0) {
      throw new InputError(`--series ${missing[0]} is not among the ${found.size} series found under ${context.positionals.join(', ')}`);
    }
    if (scan.result.series.length === 0) {
      // Nothing to import: say so without creating an empty workspace.
      return { json: { imported: [], skipped: scan.result.skipped }, text: describeImport({ imported: [], skipped: scan.result.skipped }) };
    }
    const workspace = Workspace.open(workspaceDir, { create: true });
    try {
      const result = await importScanned(workspace, scan, {
        only: wanted.length > 0 ? new Set(wanted) : undefined,
        onProgress: (p) => context.progress.update(p),
      });
      return { json: result, text: describeImport(result) };
    } finally {
      workspace.close();
    }
  },
};
