/**
 * The effect of the intensity mapping on the built-in sample: two `ssmtl demo --json`
 * results with the same settings and seeds, one `--intensity none` (the stored HU,
 * z-scored per slice, as before the mapping existed) and one with the mapping (default:
 * the soft-tissue window). Prints, per width and variant (stopping rule, equal steps),
 * each arm's mIoU mean ± sd over seeds under both, and the paired difference
 * (mapping − none, same seed, same annotated slices).
 *
 *   npx ssmtl demo --workspace /tmp/int-none --intensity none --json > none.json
 *   npx ssmtl demo --workspace /tmp/int-auto --json > auto.json
 *   npx tsx bench/intensity-effect.ts none.json auto.json
 */
import { readFileSync } from 'node:fs';
import { formatMeanSd, meanSd, pairedDifference } from '../src/engine/experiment/seed-statistics.ts';

interface Arm {
  miou: number | null;
  steps: number;
  stoppedBecause: string;
}
interface Demo {
  intensity: string;
  widths: {
    width: number;
    seeds: {
      seed: number;
      stoppingRule: Record<'pretrained' | 'scratch', Arm>;
      equalSteps: Record<'pretrained' | 'scratch', Arm> | null;
    }[];
  }[];
}

const [beforeFile, afterFile] = process.argv.slice(2);
if (!beforeFile || !afterFile) {
  console.error('usage: npx tsx bench/intensity-effect.ts BEFORE.json AFTER.json (two ssmtl demo --json results)');
  process.exit(2);
}
const before = JSON.parse(readFileSync(beforeFile, 'utf8')) as Demo;
const after = JSON.parse(readFileSync(afterFile, 'utf8')) as Demo;
console.log(`before: ${before.intensity}\nafter: ${after.intensity}\n`);
console.log('| width | variant | arm | mIoU before (mean ± sd) | mIoU after (mean ± sd) | after − before (paired, mean ± sd) | seeds |');
console.log('| ---: | --- | --- | ---: | ---: | ---: | ---: |');
for (const w of after.widths) {
  const b = before.widths.find((x) => x.width === w.width);
  if (!b) continue;
  for (const variant of ['stoppingRule', 'equalSteps'] as const) {
    for (const arm of ['pretrained', 'scratch'] as const) {
      const seeds = w.seeds.filter((s) => s[variant] && b.seeds.some((t) => t.seed === s.seed && t[variant]));
      if (seeds.length === 0) continue;
      const x = seeds.map((s) => b.seeds.find((t) => t.seed === s.seed)![variant]![arm].miou);
      const y = seeds.map((s) => s[variant]![arm].miou);
      const scores = (v: (number | null)[]) => v.filter((n): n is number => n !== null);
      console.log(
        `| ${w.width} | ${variant === 'stoppingRule' ? 'stopping rule' : 'equal steps'} | ${arm} | ${formatMeanSd(meanSd(scores(x)))} | ${formatMeanSd(
          meanSd(scores(y)),
        )} | ${formatMeanSd(pairedDifference(y, x), 3, true)} | ${seeds.map((s) => s.seed).join(', ')} |`,
      );
    }
  }
}
