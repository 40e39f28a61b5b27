import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackendChoice } from '../../../shared/job.ts';
import type { Progress } from '../../../shared/progress.ts';
import { writeSample } from '../../../sample/write-sample.ts';
import { importAnnotations } from '../annotations/import-annotations.ts';
import { startFinetuneProcess, startImportProcess, startPredictProcess, startPretrainProcess } from '../jobs/job-processes.ts';
import type { JobUsage } from '../process/job-messages.ts';
import type { JobProcess } from '../process/start-job-process.ts';
import { Workspace } from '../workspace/workspace.ts';

export interface JobsBenchOptions {
  /** slices per scan (two scans) */
  slices: number;
  /** the scans' rows and columns (the paper's CT: 512) */
  imageSize: number;
  /** the network's input (the paper: 256) */
  size: number;
  /** the U-Net's first-layer width (the paper: 64) */
  width: number;
  /** the paper: 16 */
  batch: number;
  backend: BackendChoice;
  onProgress?: (progress: Progress) => void;
}

export interface JobMeasure {
  job: 'import' | 'pretrain' | 'finetune' | 'predict';
  seconds: number;
  peakRssMb: number;
  cpuSeconds: number;
  /** what the job did, in words (e.g. "2 series, 200 slices") */
  work: string;
}

/**
 * `ssmtl bench --jobs`: the four job processes a user runs (import, pre-train, fine-tune,
 * predict), each as the CLI and the interface start it, on two sample scans of the
 * paper's sizes, in a throwaway workspace. Each job measures its own peak resident
 * memory and CPU time as it ends (process/serve-job.ts), so the figures are the job's,
 * not this process's.
 */
export async function benchJobs(options: JobsBenchOptions): Promise<JobMeasure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ssmtl-bench-jobs-'));
  const workspace = join(dir, 'workspace');
  const progress = (stage: string) => (done: number, total: number) => options.onProgress?.({ stage, done, total });
  try {
    const sample = writeSample({
      outDir: join(dir, 'sample'),
      subjects: 2,
      slices: options.slices,
      size: options.imageSize,
      onProgress: progress('writing the sample'),
    });
    const measures: JobMeasure[] = [];
    const measure = async <T>(job: JobMeasure['job'], started: JobProcess<T>, work: (result: T) => string): Promise<T> => {
      const t0 = performance.now();
      const result = await started.result;
      const seconds = Math.round(performance.now() - t0) / 1000;
      const usage: JobUsage = (await started.usage) ?? { peakRssMb: NaN, cpuSeconds: NaN };
      measures.push({ job, seconds, ...usage, work: work(result) });
      return result;
    };

    await measure(
      'import',
      startImportProcess({ workspace, paths: sample.series.map((s) => s.dicomDir), sample: false }, (p) => options.onProgress?.(p)),
      (r) =>
        `${r.imported.length} series, ${r.imported.reduce((n, s) => n + s.slices, 0)} slices of ${options.imageSize} × ${options.imageSize}`,
    );
    const net = `${options.size} px, width ${options.width}, batch ${options.batch}`;
    // One whole epoch over the first scan: a finished model, which fine-tuning starts from.
    let pretrainSteps = 0;
    await measure(
      'pretrain',
      startPretrainProcess(
        {
          workspace,
          seriesIds: [sample.series[0].seriesInstanceUid],
          method: 'ssmtl',
          backbone: 'unet',
          ts: [1],
          epochs: 1,
          batch: options.batch,
          size: options.size,
          width: options.width,
          lr: 1e-3,
          seed: 0,
          backend: options.backend,
          name: 'bench',
          resume: false,
        },
        (event) => {
          if (event.type !== 'progress') return;
          pretrainSteps = event.globalStep;
          options.onProgress?.({ stage: 'pre-training', done: event.globalStep, total: event.totalSteps });
        },
      ),
      () => `SSMTL U-Net, 1 epoch of one scan (${pretrainSteps} steps), ${net}`,
    );
    const opened = Workspace.open(workspace, { create: false });
    let annotated: number;
    try {
      // One batch of annotated slices from the sample's ground truth, as the demo does.
      annotated = importAnnotations(opened, {
        seriesId: sample.series[0].seriesInstanceUid,
        labelsPath: sample.series[0].labelsPath,
        count: options.batch,
        seed: 0,
        unknownLabels: 'background',
      }).annotatedSlices.length;
    } finally {
      opened.close();
    }
    await measure(
      'finetune',
      startFinetuneProcess(
        { workspace, name: 'bench-seg', init: 'bench', epochs: 1, seed: 0, backend: options.backend, batch: options.batch, lr: 1e-3 },
        (event) => {
          if (event.type === 'progress')
            options.onProgress?.({ stage: 'fine-tuning', done: event.globalStep, total: event.totalSteps ?? event.globalStep });
        },
      ),
      () => `1 epoch over ${annotated} annotated slices, ${net}`,
    );
    await measure(
      'predict',
      startPredictProcess(
        { workspace, model: 'bench-seg', seriesId: sample.series[1].seriesInstanceUid, out: null, backend: options.backend },
        ({ done, total }) => options.onProgress?.({ stage: 'predicting', done, total }),
      ),
      () => `${options.slices} slices`,
    );
    return measures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
