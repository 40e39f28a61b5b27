#!/usr/bin/env node
// Times the pre-training step of a method (ssmtl, ssmtl+, mocov2) on every available tfjs
// backend and in the PyTorch reference (bench/unet_reference.py for the U-Net,
// bench/resnet_fcn_reference.py for the ResNet50-FCN) on the same configuration, one
// after the other in one run, and prints a table with each backend's images/s as a
// fraction of PyTorch's.
//
//   node bench/compare.mjs [--method ssmtl] [--backbone unet] [--size 128] [--width 16] [--batch 4] [--steps 5] [--backends wasm,wasm:1,webgpu,tensorflow,cpu] [--python /usr/bin/python3]
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    method: { type: 'string', default: 'ssmtl' },
    backbone: { type: 'string' },
    size: { type: 'string', default: '128' },
    width: { type: 'string', default: '16' },
    batch: { type: 'string', default: '4' },
    steps: { type: 'string', default: '5' },
    backends: { type: 'string', default: 'wasm,wasm:1,webgpu,tensorflow' },
    python: { type: 'string', default: '/usr/bin/python3' },
    'cpu-steps': { type: 'string', default: '1' },
  },
});
const backbone = values.backbone ?? (values.method === 'ssmtl' ? 'unet' : 'resnet50-fcn');
const cfg = ['--size', values.size, '--width', values.width, '--batch', values.batch];
const reference = backbone === 'unet' ? ['bench/unet_reference.py'] : ['bench/resnet_fcn_reference.py', '--method', values.method];
if (backbone === 'unet' && values.method !== 'ssmtl') throw new Error(`--method ${values.method} trains the ResNet50-FCN`);
const rows = [];
const run = (label, cmd, args, env = {}) => {
  try {
    const out = execFileSync(cmd, args, {
      cwd: root,
      env: { ...process.env, SSMTL_QUIET: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 1 << 24,
    });
    const json = JSON.parse(out.toString().trim().split('\n').at(-1));
    rows.push({ label, ...json });
    process.stderr.write(`${label}: ${json.msPerStep} ms/step, ${json.imagesPerSecond} img/s\n`);
  } catch (error) {
    const why = (error.stderr?.toString() || error.message).trim().split('\n').at(-1);
    rows.push({ label, error: why });
    process.stderr.write(`${label}: unavailable (${why})\n`);
  }
};
run('pytorch (default threads)', values.python, [join(root, reference[0]), ...reference.slice(1), ...cfg, '--steps', values.steps]);
run(
  'pytorch (1 thread)',
  values.python,
  [join(root, reference[0]), ...reference.slice(1), ...cfg, '--steps', values.steps, '--threads', '1'],
  {
    OPENBLAS_NUM_THREADS: '1',
    OMP_NUM_THREADS: '1',
  },
);
// An entry "wasm:1" pins the number of data-parallel worker threads.
for (const entry of values.backends.split(',').filter(Boolean)) {
  const [backend, threads] = entry.split(':');
  const steps = backend === 'cpu' ? values['cpu-steps'] : values.steps;
  const extra = threads ? ['--threads', threads] : [];
  run(`tfjs ${backend}${threads ? ` (${threads} thread${threads === '1' ? '' : 's'})` : ''}`, process.execPath, [
    join(root, 'bin/ssmtl.mjs'),
    'bench',
    '--method',
    values.method,
    '--backbone',
    backbone,
    ...cfg,
    '--steps',
    steps,
    '--backend',
    backend,
    ...extra,
    '--json',
  ]);
}
const pytorch = rows.find((r) => r.label === 'pytorch (default threads)' && !r.error);
console.log(`\n${values.method} step on the ${backbone}, size ${values.size}, width ${values.width}, batch ${values.batch}\n`);
console.log(
  `<!-- ${new Date().toISOString()}, ${(await import('node:os')).cpus().length} CPUs, load ${(await import('node:os'))
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} (1/5/15-min load: other work on the machine skews the numbers) -->`,
);
// CPU time per step of the single-threaded runs against PyTorch's with one thread: the
// ratio of the work each does for a step, which other work on the machine skews far less
// than the wall-clock ratio (that one counts each run's waits for a core).
const pytorch1 = rows.find((r) => r.label === 'pytorch (1 thread)' && !r.error);
const singleThreaded = (r) => r.label === 'pytorch (1 thread)' || r.threads === 1;
const cpuRatio = (r) =>
  pytorch1?.cpuMsPerStep && r.cpuMsPerStep && singleThreaded(r) ? (pytorch1.cpuMsPerStep / r.cpuMsPerStep).toFixed(2) : '–';
console.log('| run | ms/step | images/s | × PyTorch (default threads) | CPU ms/step | × PyTorch (1 thread), CPU time | peak RSS MB |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  if (r.error) console.log(`| ${r.label} | – | – | – | – | – | – (${r.error.slice(0, 80)}) |`);
  else
    console.log(
      `| ${r.label}${r.backendDescription ? ` — ${r.backendDescription}` : ''} | ${r.msPerStep} | ${r.imagesPerSecond} | ${pytorch ? (r.imagesPerSecond / pytorch.imagesPerSecond).toFixed(2) : '?'} | ${r.cpuMsPerStep ?? '–'} | ${cpuRatio(r)} | ${r.peakRssMb} |`,
    );
}
