import { resolve } from 'node:path';
import { runEvaluate } from '../../engine/node/segmentation/evaluate-job.ts';
import type { Command } from '../command.ts';
import { backendChoice, requireString } from '../options.ts';

/** `ssmtl evaluate`: IoU / Dice / mIoU of a model on the unannotated slices of a series. */
export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'Score a segmentation model against a label volume on the slices that are not annotated (per-class IoU and Dice, mIoU)',
  usage: 'evaluate --workspace DIR --model NAME --series ID --labels FILE [--strict] [--backend auto|…] [--json]',
  options: {
    workspace: { type: 'string' },
    model: { type: 'string' },
    series: { type: 'string' },
    labels: { type: 'string' },
    backend: { type: 'string' },
    strict: { type: 'boolean' },
  },
  async run(context) {
    const backend = backendChoice(context);
    const summary = await runEvaluate({
      workspace: requireString(context, 'workspace'),
      model: requireString(context, 'model'),
      seriesId: requireString(context, 'series'),
      labelsPath: resolve(requireString(context, 'labels')),
      backend,
      strict: context.values.strict === true,
    });
    if (summary.unknownTruthLabels.length > 0)
      context.log(
        `note: truth labels ${summary.unknownTruthLabels.join(', ')} are not predicted by model ${summary.model} and were scored as background`,
      );
    const fmt = (x: number | null) => (x === null ? '—' : x.toFixed(3));
    if (summary.withinScan)
      context.log(
        `note: series ${summary.series} was used to fine-tune model ${summary.model}: the score is within-scan (its slices are neighbours of the training slices), not a score on an unseen scan`,
      );
    const text = [
      `${summary.model} on ${summary.series}, ${summary.slicesScored} unannotated slices: mIoU ${fmt(summary.miou)}` +
        (summary.withinScan ? ' (within-scan: this series was used to fine-tune the model)' : ''),
      ...Object.keys(summary.iou).map((v) => `  label ${v}: IoU ${fmt(summary.iou[v])}  Dice ${fmt(summary.dice[v])}`),
    ].join('\n');
    return { json: summary, text };
  },
};
