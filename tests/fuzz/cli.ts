/**
 * `npm run fuzz -- --seconds N [--seed S] [--jobs J] [--target NAME]… [--out DIR]`:
 * fuzzes every reader for about N seconds in all (split evenly over the targets), prints
 * how many inputs each target tried and what became of them, saves each finding's input
 * under --out (default test-results/fuzz), and exits 1 when there is any finding.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCampaign, TARGET_NAMES } from './campaign.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    seed: { type: 'string' },
    jobs: { type: 'string', default: '2' },
    target: { type: 'string', multiple: true },
    out: { type: 'string', default: join(import.meta.dirname, '..', '..', 'test-results', 'fuzz') },
  },
});
const seconds = Number(values.seconds);
const jobs = Number(values.jobs);
if (!(seconds > 0) || !(jobs >= 1)) throw new Error('--seconds and --jobs take positive numbers');
const targets = values.target ?? TARGET_NAMES;
const unknown = targets.filter((t) => !TARGET_NAMES.includes(t));
if (unknown.length) throw new Error(`unknown --target ${unknown.join(', ')}; targets: ${TARGET_NAMES.join(', ')}`);
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const perWorker = Math.ceil(targets.length / jobs);
console.error(`fuzzing ${targets.length} targets for ${seconds} s with ${jobs} worker(s), seed ${seed}`);
const report = await runCampaign({
  targets,
  seed,
  runs: Number.MAX_SAFE_INTEGER,
  millisPerTarget: (seconds * 1000) / perWorker,
  jobs,
  outDir: values.out,
  log: (line) => console.error(line),
});
const total = report.targets.reduce((n, t) => n + t.inputs, 0);
console.log(`\n${'target'.padEnd(20)} ${'inputs'.padStart(8)}  outcomes`);
for (const t of report.targets) {
  const outcomes = Object.entries(t.outcomes)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([o, n]) => `${n}× ${o}`)
    .join('; ');
  console.log(`${t.target.padEnd(20)} ${String(t.inputs).padStart(8)}  ${outcomes}`);
}
console.log(`\n${total} inputs in ${report.seconds.toFixed(0)} s (seed ${seed}); ${report.findings.length} finding(s)`);
for (const f of report.findings)
  console.log(`- ${f.target} ${f.kind}: ${f.message.split('\n')[0]}\n  input: ${f.input}\n  saved: ${f.saved}`);
process.exitCode = report.findings.length > 0 ? 1 : 0;
