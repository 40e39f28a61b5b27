import { describeIntensity } from '../../../shared/intensity-mapping.ts';
import type { ExperimentResult } from '../../../shared/experiment.ts';
import type { Backbone } from '../../../shared/job.ts';
import { BACKBONE_LABELS, PRETRAIN_METHOD_INFO } from '../../../shared/pretrain-methods.ts';

/**
 * An experiment's tables in Markdown, shaped like the paper's: per-class IoU and mIoU per
 * method (Tables 2–5), the comparison with no pre-training, the slice-selection
 * strategies, and PSNR per method and network (Table 6); each row with its seeds, steps,
 * time and backend.
 */
export function experimentMarkdown(r: ExperimentResult): string {
  const f = (x: number | null | undefined, digits = 3) => (x === null || x === undefined ? '–' : x.toFixed(digits));
  const pm = (x: number | null, s: number | null) => (x === null ? '–' : s === null ? f(x) : `${f(x)} ± ${f(s)}`);
  const method = (m: string, t: number[] | null) =>
    m === 'none'
      ? 'w/o pre-training'
      : `${PRETRAIN_METHOD_INFO[m as keyof typeof PRETRAIN_METHOD_INFO].label}${t ? ` (t=${t.join(',')})` : ''}`;
  const net = (b: Backbone) => BACKBONE_LABELS[b];
  const classes = Object.keys(r.settings.classes);
  const s = r.settings;
  const out: string[] = [];
  out.push(`# Experiment ${r.name}`);
  out.push('');
  out.push(
    `Size ${s.size}, width ${s.width}, batch ${s.batch}, lr ${s.lr}, backend ${r.backend}; intensities: ${s.intensity === 'auto' ? 'auto' : describeIntensity(s.intensity)}; pre-training ${s.pretrainEpochs} epochs on ${s.pretrainVolumes} volume(s); ` +
      `fine-tuning on ${s.labeledSlices} labelled slices per training scan (${s.trainScans} scans), ${s.segmentationEpochs === null ? 'until convergence' : `${s.segmentationEpochs} epochs`}; ` +
      `scored on every labelled slice of ${s.testScans} test scan(s)${r.segmentation.some((row) => row.withinScan) ? ' (within the training scans: their other slices)' : ''}; ` +
      `${r.seeds} seed(s) from ${s.seed} (mean ± sd over seeds). ${Math.round(r.seconds)} s in all.`,
  );
  out.push('');
  out.push('## Segmentation (IoU)');
  out.push('');
  out.push(`| Method | Network | ${classes.join(' | ')} | mIoU | fine-tune steps | time (s) |`);
  out.push(`| --- | --- | ${classes.map(() => '---:').join(' | ')} | ---: | ---: | ---: |`);
  for (const row of r.segmentation) {
    const steps = row.perSeed.map((p) => p.steps);
    const seconds = row.perSeed.reduce((a, p) => a + p.seconds, 0) + (row.pretrain?.seconds ?? 0);
    out.push(
      `| ${method(row.method, row.t)} | ${net(row.backbone)} | ${classes.map((c) => f(row.iou[c])).join(' | ')} | ${pm(row.miou, row.miouSd)} | ${steps.length ? steps.join(', ') : '–'} | ${Math.round(seconds)} |`,
    );
  }
  if (r.comparisons.length > 0) {
    out.push('');
    out.push('## Against no pre-training (same seeds, same labelled slices)');
    out.push('');
    out.push('| Method | Network | ΔmIoU | sd |');
    out.push('| --- | --- | ---: | ---: |');
    for (const c of r.comparisons) out.push(`| ${method(c.method, c.t)} | ${net(c.backbone)} | ${f(c.miouDifference)} | ${f(c.sd)} |`);
  }
  if (r.strategies.length > 1 || r.strategies.some((x) => x.strategy !== 'random')) {
    out.push('');
    out.push(`## Slice selection (${method(r.strategies[0]?.method ?? 'none', null)})`);
    out.push('');
    out.push('| Strategy | mIoU |');
    out.push('| --- | ---: |');
    for (const x of r.strategies) out.push(`| ${x.strategy} | ${pm(x.miou, x.miouSd)} |`);
  }
  if (r.denoising.length > 0) {
    out.push('');
    out.push('## Denoising (PSNR, dB)');
    out.push('');
    out.push('| Method | Network | PSNR | noisy input | steps | time (s) |');
    out.push('| --- | --- | ---: | ---: | ---: | ---: |');
    for (const d of r.denoising)
      out.push(
        `| ${method(d.method, d.t)} | ${net(d.backbone)} | ${f(d.psnr, 2)} | ${f(d.noisyPsnr, 2)} | ${d.steps} | ${Math.round(d.seconds)} |`,
      );
  }
  if (r.missing.length > 0) {
    out.push('');
    out.push(`Not run yet (${r.missing.length}): ${r.missing.join(', ')}`);
  }
  return out.join('\n');
}
