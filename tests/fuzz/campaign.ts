import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { INPUT_OFFSET, MAX_SAVED_INPUT, SLOT } from './shared-slot.ts';
import type { WorkerData } from './fuzz-worker.ts';

/**
 * Runs the fuzz targets in worker threads and watches them: a worker whose input counter
 * stops moving for `hangMs` is stuck on that input (a hang), one that dies of memory
 * exhaustion ran out on it; either way the input is taken from shared memory, saved, and
 * a fresh worker carries on with the targets left. Findings are written to `outDir`.
 */
export interface CampaignOptions {
  targets: string[];
  seed: number;
  /** per target */
  runs: number;
  millisPerTarget: number;
  jobs: number;
  slowMs?: number;
  hangMs?: number;
  /** worker heap limit: a reader that exceeds it has allocated without bound */
  heapMb?: number;
  outDir?: string;
  log?: (line: string) => void;
}

export interface Finding {
  target: string;
  kind: 'crash' | 'slow' | 'allocation' | 'hang' | 'out-of-memory';
  message: string;
  input: string;
  bytes: Uint8Array;
  seed?: number;
  path?: string;
  saved?: string;
}

export interface TargetReport {
  target: string;
  inputs: number;
  outcomes: Record<string, number>;
}

export interface CampaignReport {
  targets: TargetReport[];
  findings: Finding[];
  seconds: number;
}

export const TARGET_NAMES = [
  'dicom-native',
  'dicom-deflated',
  'dicom-rle',
  'dicom-jpeg',
  'dicom-jpeg-ls',
  'dicom-jpeg2000',
  'dicom-codestreams',
  'dicom-generated',
  'dicomdir',
  'nifti',
  'nifti-generated',
  'dicom-seg',
  'label-volumes',
  'scan',
];

export async function runCampaign(options: CampaignOptions): Promise<CampaignReport> {
  const started = Date.now();
  const reports = new Map<string, TargetReport>();
  const findings: Finding[] = [];
  const queues: string[][] = Array.from({ length: Math.max(1, options.jobs) }, () => []);
  options.targets.forEach((target, i) => queues[i % queues.length].push(target));
  const scratch = mkdtempSync(join(tmpdir(), 'ssmtl-fuzz-'));
  try {
    await Promise.all(
      queues.filter((q) => q.length > 0).map((queue, i) => runQueue(queue, options, options.seed + i * 7919, scratch, reports, findings)),
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const unique = dedupe(findings);
  if (options.outDir && unique.length > 0) {
    mkdirSync(options.outDir, { recursive: true });
    for (const finding of unique) {
      const hash = createHash('sha256').update(finding.bytes).digest('hex').slice(0, 12);
      finding.saved = join(options.outDir, `${finding.target}-${finding.kind}-${hash}`);
      writeFileSync(`${finding.saved}.bin`, finding.bytes);
      writeFileSync(
        `${finding.saved}.txt`,
        `${finding.target}: ${finding.kind}\ninput: ${finding.input}\nseed: ${finding.seed ?? '-'} path: ${finding.path ?? '-'}\n\n${finding.message}\n`,
      );
    }
  }
  return { targets: [...reports.values()], findings: unique, seconds: (Date.now() - started) / 1000 };
}

/** One finding per target, kind and first line of the message (a bug tends to be found again and again). */
function dedupe(findings: Finding[]): Finding[] {
  const seen = new Map<string, Finding>();
  for (const finding of findings) {
    const key = `${finding.target}|${finding.kind}|${finding.message.split('\n')[0].replace(/[0-9]+/g, 'N')}`;
    const known = seen.get(key);
    if (!known || finding.bytes.length < known.bytes.length) seen.set(key, finding);
  }
  return [...seen.values()];
}

async function runQueue(
  queue: string[],
  options: CampaignOptions,
  seed: number,
  scratch: string,
  reports: Map<string, TargetReport>,
  findings: Finding[],
): Promise<void> {
  let left = [...queue];
  let restarts = 0;
  while (left.length > 0 && restarts < 20) {
    const shared = new SharedArrayBuffer(INPUT_OFFSET + MAX_SAVED_INPUT);
    const slot = new Int32Array(shared, 0, SLOT.length);
    const data: WorkerData = {
      targets: left,
      seed: seed + restarts * 104729,
      runs: options.runs,
      millis: options.millisPerTarget,
      slowMs: options.slowMs ?? 5000,
      shared,
      scratch,
    };
    const worker = new Worker(new URL('./fuzz-worker.mjs', import.meta.url), {
      workerData: data,
      resourceLimits: { maxOldGenerationSizeMb: options.heapMb ?? 2048 },
      stdout: true,
      stderr: true,
    });
    worker.stdout.resume();
    worker.stderr.resume();
    const stuck = await new Promise<{ kind: 'hang' | 'out-of-memory'; message: string } | null>((resolve) => {
      let lastCounter = -1;
      let lastChange = Date.now();
      const watch = setInterval(() => {
        const counter = Atomics.load(slot, SLOT.counter);
        if (counter !== lastCounter || Atomics.load(slot, SLOT.length_) < 0) {
          lastCounter = counter;
          lastChange = Date.now();
        } else if (Date.now() - lastChange > (options.hangMs ?? 30_000)) {
          clearInterval(watch);
          void worker.terminate();
          resolve({ kind: 'hang', message: `no progress for ${options.hangMs ?? 30_000} ms on one input` });
        }
      }, 250);
      worker.on(
        'message',
        (message: { type: string; target?: string; inputs?: number; outcomes?: Record<string, number>; findings?: Finding[] }) => {
          if (message.type === 'target-done') {
            const report = reports.get(message.target!) ?? { target: message.target!, inputs: 0, outcomes: {} };
            report.inputs += message.inputs!;
            for (const [outcome, n] of Object.entries(message.outcomes!)) report.outcomes[outcome] = (report.outcomes[outcome] ?? 0) + n;
            reports.set(message.target!, report);
            findings.push(...message.findings!);
            left = left.filter((t) => t !== message.target);
            options.log?.(`${message.target}: ${message.inputs} inputs, ${message.findings!.length} finding(s)`);
          }
          if (message.type === 'done') {
            clearInterval(watch);
            resolve(null);
          }
        },
      );
      worker.on('error', (error) => {
        clearInterval(watch);
        const memory = (error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
        resolve({
          kind: memory ? 'out-of-memory' : 'hang',
          message: `${memory ? 'the worker ran out of memory' : 'the worker failed'}: ${error.message}`,
        });
      });
      worker.on('exit', () => {
        clearInterval(watch);
        resolve(left.length === 0 ? null : { kind: 'hang', message: 'the worker exited' });
      });
    });
    if (!stuck) return;
    const length = Math.max(0, Atomics.load(slot, SLOT.length_));
    const target = left[0];
    findings.push({
      target,
      kind: stuck.kind,
      message: stuck.message,
      input: `input ${Atomics.load(slot, SLOT.counter)}`,
      bytes: new Uint8Array(shared, INPUT_OFFSET, length).slice(),
    });
    options.log?.(`${target}: ${stuck.kind}: ${stuck.message}`);
    // That target is done for; go on with the rest.
    left = left.slice(1);
    restarts++;
  }
}
