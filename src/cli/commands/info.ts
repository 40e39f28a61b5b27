import type { WorkspaceInfo } from '../../shared/series.ts';
import { Workspace } from '../../engine/node/workspace/workspace.ts';
import { seriesInfo } from '../../engine/node/workspace/series-info.ts';
import type { Command } from '../command.ts';
import { optionalString, requireString } from '../options.ts';
import { describeInfo } from '../describe.ts';

export const infoCommand: Command = {
  name: 'info',
  summary: 'List the series and models of a workspace; with --series, per-slice statistics.',
  usage: 'info --workspace DIR [--series ID] [--json]',
  options: { workspace: { type: 'string' }, series: { type: 'string' } },
  async run(context) {
    const workspace = Workspace.open(requireString(context, 'workspace'), { create: false, access: 'read' });
    try {
      const only = optionalString(context, 'series');
      const series = only ? seriesInfo(workspace, { series: [workspace.requireSeries(only)], withStats: true }) : seriesInfo(workspace);
      const models = workspace.listModels().map(({ name, kind, method, createdAt }) => ({ name, kind, method, createdAt }));
      const info: WorkspaceInfo = {
        series,
        models,
        swept: workspace.swept ?? { files: 0, bytes: 0 },
        readOnly: workspace.readOnly ? `${workspace.dir}: ${workspace.readOnly.cause}` : null,
      };
      return { json: info, text: describeInfo(info) };
    } finally {
      workspace.close();
    }
  },
};
