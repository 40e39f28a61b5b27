import { resolve } from 'node:path';
import { InputError } from '../../shared/errors.ts';
import { importAnnotations, type UnknownLabelPolicy } from '../../engine/node/annotations/import-annotations.ts';
import { Workspace } from '../../engine/node/workspace/workspace.ts';
import type { Command } from '../command.ts';
import { optionalNumber, optionalString, requireString } from '../options.ts';

const POLICIES: UnknownLabelPolicy[] = ['add', 'error', 'background'];

/** `ssmtl annotations import`: slices of a label volume become annotations, as if drawn. */
export const annotationsImportCommand: Command = {
  name: 'annotations import',
  summary: "Annotate slices of a series from a label volume (NIfTI or DICOM SEG on the series' grid): N random labelled slices, or a list",
  usage:
    'annotations import --workspace DIR --series ID --labels FILE [--slices N | --slice-list k,k,…] [--seed S] [--unknown-labels add|error|background] [--json]',
  options: {
    workspace: { type: 'string' },
    series: { type: 'string' },
    labels: { type: 'string' },
    slices: { type: 'string' },
    'slice-list': { type: 'string' },
    seed: { type: 'string' },
    'unknown-labels': { type: 'string' },
  },
  async run(context) {
    const workspaceDir = requireString(context, 'workspace');
    const seriesId = requireString(context, 'series');
    const labelsPath = resolve(requireString(context, 'labels'));
    const listText = optionalString(context, 'slice-list');
    if (listText !== undefined && context.values.slices !== undefined)
      throw new InputError('give either --slices N or --slice-list, not both');
    let sliceList: number[] | undefined;
    if (listText !== undefined) {
      sliceList = listText.split(',').map((raw) => {
        const k = Number(raw.trim());
        if (raw.trim() === '' || !Number.isInteger(k) || k < 0)
          throw new InputError(`--slice-list must be comma-separated slice indices (0-based), got '${listText}'`);
        return k;
      });
    }
    const count =
      context.values.slices !== undefined ? optionalNumber(context, 'slices', 20, { integer: true, min: 1, max: 100000 }) : undefined;
    const seed = optionalNumber(context, 'seed', 0, { integer: true, min: 0, max: 2 ** 32 - 1 });
    const policy = (optionalString(context, 'unknown-labels') ?? 'add') as UnknownLabelPolicy;
    if (!POLICIES.includes(policy)) throw new InputError(`--unknown-labels must be ${POLICIES.join(', ')}, got '${policy}'`);
    const workspace = Workspace.open(workspaceDir, { create: false });
    try {
      const result = importAnnotations(workspace, { seriesId, labelsPath, count, sliceList, seed, unknownLabels: policy });
      for (const warning of result.warnings) context.log(`warning: ${warning}`);
      const json = {
        series: result.series,
        annotatedSlices: result.annotatedSlices,
        labels: result.labels,
        addedLabels: result.addedLabels,
        erasedLabels: result.erasedLabels,
        allAnnotatedSlices: result.allAnnotatedSlices,
        warnings: result.warnings,
      };
      const text = [
        `annotated ${result.annotatedSlices.length} slices of ${result.series} from ${labelsPath}: ${result.annotatedSlices.join(', ')}`,
        `labels present: ${result.labels.join(', ') || 'none (background only)'}`,
        ...result.warnings.map((w) => `warning: ${w}`),
      ].join('\n');
      return { json, text };
    } finally {
      workspace.close();
    }
  },
};
