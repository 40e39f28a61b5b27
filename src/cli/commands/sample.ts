import { resolve } from 'node:path';
import type { Command } from '../command.ts';
import { optionalNumber, requireString } from '../options.ts';
import { writeSample } from '../../sample/write-sample.ts';

/** `ssmtl sample`: writes the built-in synthetic thorax CT series with ground truth. */
export const sampleCommand: Command = {
  name: 'sample',
  summary: 'Write the built-in sample: synthetic thorax CT series (DICOM) with whole-heart labels (NIfTI)',
  usage: 'sample --out DIR [--subjects 4] [--slices 64] [--size 128] [--seed 0] [--json]',
  options: {
    out: { type: 'string' },
    subjects: { type: 'string' },
    slices: { type: 'string' },
    size: { type: 'string' },
    seed: { type: 'string' },
  },
  async run(context) {
    const out = resolve(requireString(context, 'out'));
    const subjects = optionalNumber(context, 'subjects', 4, { integer: true, min: 1, max: 99 });
    // t = 5 on both sides of an anchor needs at least 11 slices.
    const slices = optionalNumber(context, 'slices', 64, { integer: true, min: 11, max: 1024 });
    const size = optionalNumber(context, 'size', 128, { integer: true, min: 32, max: 512 });
    const seed = optionalNumber(context, 'seed', 0, { integer: true, min: 0, max: 2 ** 31 - 1 });

    const { series } = writeSample({
      outDir: out,
      subjects,
      slices,
      size,
      seed,
      onProgress: (done, total) => context.progress.update({ stage: 'writing sample', done, total }),
    });
    const json = {
      out,
      series: series.map((s) => ({
        subject: s.subject,
        id: s.seriesInstanceUid,
        patientId: s.patientId,
        dicom: s.dicomDir,
        labels: s.labelsPath,
        slices: s.slices,
        rows: s.rows,
        cols: s.cols,
        spacing: s.spacing,
      })),
    };
    const lines = [
      `Wrote ${series.length} synthetic thorax CT series (${size}×${size}, ${slices} slices each) to ${out}:`,
      ...series.map(
        (s) =>
          `  ${s.patientId}  ${s.dicomDir}  (${s.slices} DICOM files, ${s.spacing.map((v) => v.toFixed(2)).join(' × ')} mm)  labels: ${s.labelsPath}`,
      ),
      'Labels use MM-WHS values: LV 500, RV 600, LA 420, RA 550, LV myocardium 205, ascending aorta 820, pulmonary artery 850.',
      `Next: ssmtl import ${series.map((s) => s.dicomDir).join(' ')} --workspace WORKSPACE`,
    ];
    return { json, text: lines.join('\n') };
  },
};
