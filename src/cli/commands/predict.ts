import { runPredict } from '../../engine/node/segmentation/predict-job.ts';
import type { Command } from '../command.ts';
import { backendChoice, optionalString, requireString } from '../options.ts';

/** `ssmtl predict`: segment every slice of a series; store for review; export on request. */
export const predictCommand: Command = {
  name: 'predict',
  summary: 'Segment every slice of a series with a fine-tuned model; --out FILE.nii[.gz] or FILE.dcm (DICOM SEG) exports it',
  usage: 'predict --workspace DIR --model NAME --series ID [--out FILE] [--backend auto|…] [--json]',
  options: {
    workspace: { type: 'string' },
    model: { type: 'string' },
    series: { type: 'string' },
    out: { type: 'string' },
    backend: { type: 'string' },
  },
  async run(context) {
    const backend = backendChoice(context);
    const summary = await runPredict(
      {
        workspace: requireString(context, 'workspace'),
        model: requireString(context, 'model'),
        seriesId: requireString(context, 'series'),
        out: optionalString(context, 'out') ?? null,
        backend,
      },
      { onSlice: (done, total) => context.progress.update({ stage: 'predicting', done, total }) },
    );
    const text = [
      `${summary.series}: ${summary.slices} slices segmented in ${summary.seconds.toFixed(1)} s`,
      ...Object.entries(summary.volumesMl).map(([v, ml]) => `  label ${v}: ${ml.toFixed(2)} mL`),
      `most uncertain unannotated slices: ${summary.suggestedSlices.slice(0, 5).join(', ')}`,
      ...(summary.out ? [`written: ${summary.out}`] : []),
      ...(summary.readOnly ? [`not stored for review: the workspace is read-only (${summary.readOnly})`] : []),
    ].join('\n');
    return { json: summary, text };
  },
};
