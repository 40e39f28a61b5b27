import type { SeriesInfo, WorkspaceInfo } from '../../shared/series.ts';
import { Workspace } from '../../engine/node/workspace/workspace.ts';
import type { Command } from '../command.ts';
import { optionalString, requireString } from '../options.ts';
import { describeInfo } from '../describe.ts';

export const infoCommand: Command = {
  name: 'info',
  summary: 'List the series and models of a workspace; with --series, per-slice statistics.',
  usage: 'info --workspace DIR [--series ID] [--json]',
  options: { workspace: { type: 'string' }, series: { type: 'string' } },
  async run(context) {
    const workspace = Workspace.open(requireString(context, 'workspace'), { create: false });
    try {
      const only = optionalString(context, 'series');
      const records = only ? [workspace.requireSeries(only)] : workspace.listSeries();
      const series: SeriesInfo[] = records.map((record) => ({
        id: record.id,
        format: record.format,
        modality: record.modality,
        description: record.description,
        slices: record.slices,
        rows: record.rows,
        cols: record.cols,
        spacing: record.spacing,
        annotatedSlices: workspace.annotatedSlices(record.key),
        ...(only ? { stats: workspace.sliceStats(record.key) } : {}),
      }));
      const models = workspace.listModels().map(({ name, kind, method, createdAt }) => ({ name, kind, method, createdAt }));
      const info: WorkspaceInfo = { series, models };
      return { json: info, text: describeInfo(info) };
    } finally {
      workspace.close();
    }
  },
};
