import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../../shared/errors.ts';
import {
  methodKey,
  type DenoisingRow,
  type ExperimentConfig,
  type ExperimentMethod,
  type ExperimentResult,
  type PretrainRecord,
  type SeedResult,
  type SliceStrategy,
} from '../../../shared/experiment.ts';
import type { JobEvent } from '../../../shared/job.ts';
import { BackendUnavailableError, chooseMicroBatch, type ActiveBackend } from '../../backends/backend-names.ts';
import { preprocessSlice, seriesIntensityRange } from '../../data/preprocess.ts';
import type { IntensityRange } from '../../data/intensity-mapping.ts';
import { resolveIntensity, type IntensityMapping } from '../../../shared/intensity-mapping.ts';
import {
  DENOISING_HEAD,
  denoisingExample,
  denoisingObjective,
  denoisingPsnr,
  type DenoisingExample,
} from '../../denoising/denoising-task.ts';
import { robustRange, toUnitRange } from '../../denoising/noise-model.ts';
import { aggregate, plannedUnits, type ExperimentUnits } from '../../experiment/aggregate.ts';
import { mostUncertain, selectSlices } from '../../experiment/slice-selection.ts';
import { createNetwork } from '../../networks/create-network.ts';
import type { DenseNetwork } from '../../networks/dense-network.ts';
import { Random } from '../../random.ts';
import { FinetuneTrainer, type SegmentationExample } from '../../segmentation/finetune-trainer.ts';
import { resizeLabelsNearest, toClassIndices } from '../../segmentation/label-maps.ts';
import { OverlapCounts } from '../../segmentation/metrics.ts';
import { buildFinetuner } from '../../segmentation/build-finetuner.ts';
import { predictProbabilities, toSeriesResolution } from '../../segmentation/predict.ts';
import { loadBackbone } from '../../segmentation/segmentation-net.ts';
import type { JobControl } from '../../train/control.ts';
import { readSeriesLabels, type SeriesLabels } from '../annotations/label-volume.ts';
import { writeFileAtomically } from '../atomic-file.ts';
import { readCheckpointFile } from '../checkpoint-file.ts';
import { importScanned } from '../import/import-series.ts';
import { scanPaths } from '../import/scan-paths.ts';
import { loadBackend } from '../load-backend.ts';
import { runPretrain } from '../pretrain-job.ts';
import { isFinished, modelFiles, readModel, weightsPath } from '../workspace/model-state.ts';
import { Workspace, type SeriesRecord } from '../workspace/workspace.ts';

/**
 * The paper's protocol end to end (CONTRACT.md `experiment`, paper Sec. 4): in a results
 * folder, a workspace with every volume of the config; then, unit by unit,
 *
 *   pretrain/<method>                         pre-training on the unlabeled volumes
 *   segmentation/<method>/<strategy>/seed<s>  labelled slices drawn per training scan,
 *                                             fine-tuning, IoU on every labelled slice of
 *                                             the test scans (never one it trained on)
 *   denoising/<method>                        L1 training on noisy slices, PSNR on the test ones
 *
 * Each finished unit is a file under units/, so a run killed anywhere continues where it
 * was: finished units are read back, a pre-training continues from its last checkpoint,
 * an interrupted fine-tuning starts its unit again (same seed, same result). Units are
 * independent once their pre-training exists, which is what lets a Slurm array run them.
 */
export interface ExperimentHooks {
  log(line: string): void;
  progress(stage: string, done: number, total: number, detail?: string): void;
  /** cancel: stop at the next micro-batch (a pre-training checkpoints), and throw ExperimentInterrupted */
  control?: JobControl;
}

export class ExperimentInterrupted extends Error {
  override readonly name = 'ExperimentInterrupted';
}

export const UNITS_FOLDER = 'units';

/** Settings a finished unit depends on: a results folder made with others cannot be continued. */
function fingerprint(config: ExperimentConfig): string {
  const { seeds: _seeds, strategies: _strategies, backend: _backend, name: _name, ...rest } = config;
  return JSON.stringify(rest);
}

interface Scan {
  path: string;
  series: SeriesRecord;
  labelsPath?: string;
}

export class ExperimentRun {
  readonly workspaceDir: string;
  readonly unitsDir: string;
  private workspace: Workspace | null = null;
  private backend: ActiveBackend | null = null;
  private readonly classValues: number[];
  private readonly started = performance.now();
  /** the config's intensity mapping made concrete (scans() resolves 'auto' by the volumes' modality) */
  private intensity: IntensityMapping | null = null;
  private readonly ranges = new Map<string, IntensityRange | null>();

  constructor(
    readonly config: ExperimentConfig,
    readonly dir: string,
    private readonly hooks: ExperimentHooks,
  ) {
    this.workspaceDir = join(dir, 'workspace');
    this.unitsDir = join(dir, UNITS_FOLDER);
    this.classValues = Object.values(config.classes);
  }

  /** Creates the folder, or checks that it belongs to this config. */
  prepareFolder(): void {
    mkdirSync(this.unitsDir, { recursive: true });
    const stored = join(this.dir, 'config.json');
    if (existsSync(stored)) {
      const before = JSON.parse(readFileSync(stored, 'utf8')) as ExperimentConfig;
      if (fingerprint(before) !== fingerprint(this.config))
        throw new InputError(
          `${this.dir} holds the results of another version of experiment '${this.config.name}' (other settings, data or methods): move it away or rename the experiment to start afresh`,
        );
    }
    writeFileAtomically(stored, new TextEncoder().encode(JSON.stringify(this.config, null, 2)));
  }

  private get ws(): Workspace {
    this.workspace ??= Workspace.open(this.workspaceDir, { create: true });
    return this.workspace;
  }

  private async backendReady(): Promise<ActiveBackend> {
    if (!this.backend) {
      try {
        this.backend = await loadBackend(this.config.backend);
      } catch (error) {
        if (error instanceof BackendUnavailableError) throw new InputError(`backend ${this.config.backend}: ${error.message}`);
        throw error;
      }
      for (const note of this.backend.notes) this.hooks.log(`note: ${note}`);
    }
    return this.backend;
  }

  /** Imports a path (a NIfTI file or a DICOM folder holding one series) once; its series. */
  private async scanOf(path: string): Promise<SeriesRecord> {
    const scan = scanPaths([path]);
    const ids = [...scan.dicom.map((s) => s.id), ...scan.nifti.map((n) => n.series.id)];
    if (ids.length === 0)
      throw new InputError(
        `${path}: no image series found${
          scan.result.skipped.length
            ? ` (${scan.result.skipped
                .slice(0, 3)
                .map((s) => `${s.path}: ${s.reason}`)
                .join('; ')})`
            : ''
        }`,
      );
    if (ids.length > 1) throw new InputError(`${path} holds ${ids.length} series (${ids.join(', ')}): give one series per entry`);
    const existing = this.ws.findSeries(ids[0]);
    if (!existing) {
      this.hooks.log(`importing ${path}`);
      const result = await importScanned(this.ws, scan);
      if (result.imported.length === 0)
        throw new InputError(`${path}: could not be imported (${result.skipped.map((s) => `${s.path}: ${s.reason}`).join('; ')})`);
    }
    return this.ws.requireSeries(ids[0]);
  }

  private async scans(): Promise<{ pretrain: SeriesRecord[]; train: Scan[]; test: Scan[]; withinScan: boolean }> {
    const { config } = this;
    const pretrain: SeriesRecord[] = [];
    for (const p of config.pretrain.volumes) pretrain.push(await this.scanOf(p));
    const train: Scan[] = [];
    for (const s of config.segmentation.train) train.push({ path: s.image, series: await this.scanOf(s.image), labelsPath: s.labels });
    const test: Scan[] = [];
    for (const s of config.segmentation.test) test.push({ path: s.image, series: await this.scanOf(s.image), labelsPath: s.labels });
    const trainIds = new Set(train.map((s) => s.series.id));
    const shared = test.filter((s) => trainIds.has(s.series.id));
    if (shared.length > 0 && !config.allowTrainOnTest)
      throw new InputError(
        `test scan ${shared[0].path} is the same series as a training scan (${shared[0].series.id}): a test scan must be another patient (or set "allowTrainOnTest": true to score its other slices)`,
      );
    this.intensity = resolveIntensity(
      config.intensity,
      [...pretrain, ...train.map((s) => s.series)].map((s) => s.modality),
    );
    return { pretrain, train, test, withinScan: shared.length > 0 };
  }

  /** A slice of a scan as the networks see it: resized, intensity-mapped (the series' range, measured once), normalized. */
  private image(series: SeriesRecord, k: number): Float32Array {
    const { size } = this.config;
    const read = (index: number) => this.ws.readSlice(series.id, index);
    if (!this.ranges.has(series.id)) this.ranges.set(series.id, seriesIntensityRange(this.mapping, series, size, read));
    return preprocessSlice(read(k), series.rows, series.cols, size, this.ranges.get(series.id) ?? null);
  }

  private get mapping(): IntensityMapping {
    if (!this.intensity) throw new Error('the intensity mapping is resolved when the scans are read');
    return this.intensity;
  }

  /** Slices holding any of the config's classes. */
  private labelledSlices(labels: SeriesLabels): number[] {
    const wanted = new Set(this.classValues);
    return labels.labelled.filter((k) => labels.slice(k).some((v) => wanted.has(v)));
  }

  private labelsOf(scan: Scan): SeriesLabels {
    const labels = readSeriesLabels(this.ws, scan.series, scan.labelsPath as string);
    for (const w of labels.warnings) this.hooks.log(`${scan.labelsPath}: ${w}`);
    return labels;
  }

  private unitPath(unit: string): string {
    return join(this.unitsDir, `${unit.replace(/\//g, '__')}.json`);
  }

  private readUnit<T>(unit: string): T | null {
    const path = this.unitPath(unit);
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : null;
  }

  private writeUnit(unit: string, value: unknown): void {
    writeFileAtomically(this.unitPath(unit), new TextEncoder().encode(JSON.stringify(value, null, 2)));
  }

  private checkCancelled(): void {
    if (this.hooks.control?.cancelled) throw new ExperimentInterrupted('stopped');
  }

  /**
   * Runs every unit not yet done — or only one (`unit`: what a Slurm array task runs on
   * its node; a fine-tuning or denoising unit needs its method's pre-training done) —
   * then makes the tables from every unit on disk.
   */
  async run(unit?: string): Promise<ExperimentResult> {
    return this.withData(async (data) => {
      const methods = this.config.pretrain.methods;
      const planned = plannedUnits(this.config);
      if (unit !== undefined && !planned.includes(unit))
        throw new InputError(`--unit ${unit}: not a unit of experiment '${this.config.name}' (its units: ${planned.join(', ')})`);
      const units = unit === undefined ? planned : [unit];
      for (const [i, unit] of units.entries()) {
        this.checkCancelled();
        if (existsSync(this.unitPath(unit))) continue;
        this.hooks.log(`experiment ${this.config.name}: unit ${i + 1}/${units.length}: ${unit}`);
        const t0 = performance.now();
        const [kind, unitKey, strategy, seedText] = unit.split('/');
        const method = methods.find((m) => methodKey(m) === unitKey) as ExperimentMethod;
        if (kind === 'pretrain') this.writeUnit(unit, await this.pretrain(method, data.pretrain));
        else if (kind === 'segmentation')
          this.writeUnit(
            unit,
            await this.segmentation(method, strategy as SliceStrategy, Number(seedText.slice(4)), data.train, data.test),
          );
        else this.writeUnit(unit, await this.denoising(method));
        this.hooks.log(`experiment ${this.config.name}: ${unit} done in ${Math.round((performance.now() - t0) / 1000)} s`);
      }
      return this.result(data);
    });
  }

  /** Imports every volume of the config (before tasks that share the workspace start). */
  async prepare(): Promise<void> {
    await this.withData(async () => {});
  }

  /** The planned units that have no result yet, in the order a local run takes them. */
  missingUnits(): string[] {
    return plannedUnits(this.config).filter((u) => !existsSync(this.unitPath(u)));
  }

  /** The tables from the units on disk (missing ones listed). */
  async collect(): Promise<ExperimentResult> {
    return this.withData(async (data) => this.result(data));
  }

  /** `work` with the folder checked and every volume imported; the catalogue is closed after. */
  private async withData<T>(work: (data: Awaited<ReturnType<ExperimentRun['scans']>>) => Promise<T>): Promise<T> {
    this.prepareFolder();
    try {
      return await work(await this.scans());
    } finally {
      this.workspace?.close();
      this.workspace = null;
    }
  }

  private result(data: { train: Scan[]; test: Scan[]; withinScan: boolean }): ExperimentResult {
    const units: ExperimentUnits = { pretrain: new Map(), segmentation: new Map(), denoising: new Map() };
    const files = existsSync(this.unitsDir) ? readdirSync(this.unitsDir) : [];
    for (const file of files) {
      if (!file.endsWith('.json')) continue;
      const unit = file.slice(0, -5).replace(/__/g, '/');
      const [kind, ...rest] = unit.split('/');
      const value = JSON.parse(readFileSync(join(this.unitsDir, file), 'utf8'));
      if (kind === 'pretrain') units.pretrain.set(rest.join('/'), value as PretrainRecord);
      else if (kind === 'segmentation') units.segmentation.set(rest.join('/'), value as SeedResult);
      else if (kind === 'denoising') units.denoising.set(rest.join('/'), value as DenoisingRow);
    }
    const backends = new Set([
      ...[...units.segmentation.values()].map((u) => u.backend),
      ...[...units.pretrain.values()].map((u) => u.backend),
      ...[...units.denoising.values()].map((u) => u.backend),
    ]);
    // The tables name the mapping used ('auto' made concrete).
    return aggregate({ ...this.config, intensity: this.mapping }, units, {
      backend: [...backends].join(', ') || (this.backend?.name ?? this.config.backend),
      seconds: (performance.now() - this.started) / 1000,
      withinScan: data.withinScan,
      trainScans: data.train.length,
      testScans: data.test.length,
    });
  }

  private modelName(method: ExperimentMethod): string {
    return `exp-${methodKey(method)}`;
  }

  private async pretrain(method: ExperimentMethod, volumes: SeriesRecord[]): Promise<PretrainRecord> {
    const { config } = this;
    const name = this.modelName(method);
    const complete = isFinished(readModel(this.ws, name));
    const t0 = performance.now();
    let summary: Awaited<ReturnType<typeof runPretrain>> | null = null;
    if (!complete) {
      const resume = existsSync(modelFiles(this.workspaceDir, name).checkpoint);
      if (resume) this.hooks.log(`pre-training ${name}: continuing from its checkpoint`);
      summary = await runPretrain(
        {
          workspace: this.workspaceDir,
          seriesIds: volumes.map((v) => v.id),
          method: method.method as Exclude<ExperimentMethod['method'], 'none'>,
          backbone: method.backbone,
          ...(method.lambda !== undefined ? { lambda: method.lambda } : {}),
          ts: method.t,
          epochs: method.epochs,
          batch: config.batch,
          size: config.size,
          width: config.width,
          lr: config.lr,
          seed: config.seed,
          backend: config.backend,
          name,
          resume,
          ...(resume ? {} : { intensity: this.mapping }),
        },
        {
          control: this.hooks.control,
          emit: (event: JobEvent) => {
            if (event.type === 'progress')
              this.hooks.progress(`pre-training ${method.method}`, event.globalStep, event.totalSteps, `loss ${event.loss.toFixed(4)}`);
          },
        },
      );
      if (summary.status !== 'done') throw new ExperimentInterrupted(`pre-training ${name} stopped`);
    }
    const model = readModel(this.ws, name);
    const meta = model?.kind === 'pretrained' ? model.meta : undefined;
    const perEpoch = summary?.loss.perEpoch ?? meta?.losses?.perEpoch ?? [];
    return {
      model: name,
      method: method.method as PretrainRecord['method'],
      backbone: method.backbone,
      t: method.t,
      epochs: method.epochs,
      ...(method.lambda !== undefined ? { lambda: method.lambda } : {}),
      steps: summary?.steps ?? 0,
      seconds: summary?.seconds ?? meta?.seconds ?? (performance.now() - t0) / 1000,
      backend: summary?.backend ?? meta?.backend ?? 'unknown',
      loss: { first: perEpoch[0] ?? null, last: perEpoch.at(-1) ?? null },
    };
  }

  /** The kept weights of a method's pre-training (null for 'none'). */
  private pretrainedWeights(
    method: ExperimentMethod,
  ): { tensors: ReturnType<typeof readCheckpointFile>['tensors']; source: string } | null {
    if (method.method === 'none') return null;
    const name = this.modelName(method);
    const model = readModel(this.ws, name);
    const path = model && weightsPath(this.workspaceDir, model);
    if (!path || !existsSync(path))
      throw new InputError(`the pre-training ${name} has no weights yet (unit pretrain/${methodKey(method)} must run first)`);
    return { tensors: readCheckpointFile(path).tensors, source: `pre-trained model '${name}'` };
  }

  private examplesOf(scan: Scan, labels: SeriesLabels, slices: number[]): SegmentationExample[] {
    const { size } = this.config;
    const classes = [0, ...this.classValues];
    const { rows, cols } = scan.series;
    return slices.map((k) => ({
      image: this.image(scan.series, k),
      target: toClassIndices(resizeLabelsNearest(labels.slice(k), rows, cols, size, size), classes),
    }));
  }

  /** Fine-tunes a segmentation model on some slices of the training scans; the network (the caller disposes it). */
  private async finetune(
    method: ExperimentMethod,
    seed: number,
    examples: SegmentationExample[],
    stage: string,
  ): Promise<{ net: DenseNetwork; steps: number; stopReason: string }> {
    const { config } = this;
    const backend = await this.backendReady();
    const classes = [0, ...this.classValues];
    const pixelCounts = classes.map(() => 0);
    for (const e of examples) for (let p = 0; p < e.target.length; p++) pixelCounts[e.target[p]]++;
    const microBatch = chooseMicroBatch(
      config.batch,
      config.size,
      config.width,
      classes.length,
      backend.maxActivationBytes,
      method.backbone,
    );
    const { net, trainer } = buildFinetuner(
      {
        network: method.backbone,
        size: config.size,
        width: config.width,
        batch: config.batch,
        lr: config.lr,
        seed,
        epochs: config.segmentation.epochs,
        classes,
        pixelCounts,
        examples,
        backbone: this.pretrainedWeights(method),
        resume: null,
      },
      microBatch,
    );
    try {
      const result = await trainer.run({
        control: this.hooks.control,
        onEvent: (e) => {
          if (e.type === 'progress')
            this.hooks.progress(stage, e.globalStep, e.totalSteps ?? e.globalStep + 1, `loss ${e.loss.toFixed(4)}`);
        },
      });
      if (result.status === 'cancelled') throw new ExperimentInterrupted(`${stage} stopped`);
      return { net, steps: result.steps, stopReason: result.stopReason };
    } catch (error) {
      net.dispose();
      throw error;
    } finally {
      trainer.dispose();
    }
  }

  /** Per-slice uncertainty (mean entropy of the softmax) of some slices of a scan. */
  private async uncertainty(net: DenseNetwork, scan: Scan, slices: number[]): Promise<Map<number, number>> {
    const { size } = this.config;
    const classes = [0, ...this.classValues];
    const out = new Map<number, number>();
    for (let start = 0; start < slices.length; start += 8) {
      const chunk = slices.slice(start, start + 8);
      const images = chunk.map((k) => this.image(scan.series, k));
      const probabilities = await predictProbabilities(net, images, size);
      chunk.forEach((k, n) => out.set(k, toSeriesResolution(probabilities[n], classes, size, size, size).entropy));
    }
    return out;
  }

  private async segmentation(
    method: ExperimentMethod,
    strategy: SliceStrategy,
    seed: number,
    train: Scan[],
    test: Scan[],
  ): Promise<SeedResult> {
    const { config } = this;
    const t0 = performance.now();
    const n = config.segmentation.labeledSlices;
    const trainLabels = train.map((scan) => this.labelsOf(scan));
    const labelled = trainLabels.map((labels, i) => {
      const slices = this.labelledSlices(labels);
      if (slices.length === 0)
        throw new InputError(`${train[i].labelsPath}: no slice holds any of the classes ${JSON.stringify(config.classes)}`);
      return slices;
    });
    const draw = (i: number, count: number, how: 'random' | 'even') =>
      selectSlices(labelled[i], count, how, Random.derive(seed, 'experiment-labelled-slices', i));
    let chosen: number[][];
    if (strategy === 'uncertainty') {
      // Active learning: half the budget at random, then the slices a model trained on them is least sure of.
      const first = labelled.map((_, i) => draw(i, Math.ceil(n / 2), 'random'));
      const probe = await this.finetune(
        method,
        seed,
        train.flatMap((scan, i) => this.examplesOf(scan, trainLabels[i], first[i])),
        `uncertainty probe seed ${seed}`,
      );
      try {
        chosen = [];
        for (const [i, scan] of train.entries()) {
          const rest = labelled[i].filter((k) => !first[i].includes(k));
          const extra = mostUncertain(rest, await this.uncertainty(probe.net, scan, rest), n - first[i].length);
          chosen.push([...first[i], ...extra].sort((a, b) => a - b));
        }
      } finally {
        probe.net.dispose();
      }
    } else chosen = labelled.map((_, i) => draw(i, n, strategy));
    const examples = train.flatMap((scan, i) => this.examplesOf(scan, trainLabels[i], chosen[i]));
    const stage = `fine-tuning ${method.method} (${method.backbone}) ${strategy} seed ${seed}`;
    const { net, steps, stopReason } = await this.finetune(method, seed, examples, stage);
    try {
      // Every labelled slice of the test scans, less any slice trained on (a test scan that is also a training scan).
      const trainedOn = new Map(train.map((scan, i) => [scan.series.id, new Set(chosen[i])]));
      const classes = [0, ...this.classValues];
      const known = new Set(classes);
      const counts = new OverlapCounts(classes);
      let testSlices = 0;
      const { size } = config;
      for (const scan of test) {
        const labels = this.labelsOf(scan);
        const skip = trainedOn.get(scan.series.id) ?? new Set<number>();
        const slices = this.labelledSlices(labels).filter((k) => !skip.has(k));
        const { rows, cols } = scan.series;
        for (let start = 0; start < slices.length; start += 8) {
          this.checkCancelled();
          const chunk = slices.slice(start, start + 8);
          const images = chunk.map((k) => this.image(scan.series, k));
          const probabilities = await predictProbabilities(net, images, size);
          chunk.forEach((k, j) => {
            const truth = labels.slice(k).map((v) => (known.has(v) ? v : 0));
            counts.add(toSeriesResolution(probabilities[j], classes, size, rows, cols).labels, truth);
          });
          testSlices += chunk.length;
          this.hooks.progress(`scoring ${method.method} seed ${seed}`, testSlices, slices.length);
        }
      }
      const iou = counts.iou();
      const round = (x: number | null | undefined) => (x === null || x === undefined ? null : Math.round(x * 1e4) / 1e4);
      return {
        seed,
        miou: round(counts.miou(this.classValues)),
        steps,
        stoppedBecause: stopReason,
        iou: Object.fromEntries(Object.entries(config.classes).map(([name, v]) => [name, round(iou[String(v)])])),
        trainSlices: examples.length,
        testSlices,
        seconds: Math.round((performance.now() - t0) / 100) / 10,
        backend: (await this.backendReady()).name,
        slices: Object.fromEntries(train.map((scan, i) => [scan.path, chosen[i]])),
      };
    } finally {
      net.dispose();
    }
  }

  /** Every slice of some volumes as denoising examples (each volume on its own robust [0, 1] scale). */
  private async denoisingExamples(paths: string[]): Promise<DenoisingExample[]> {
    const { config } = this;
    const den = config.denoising!;
    const out: DenoisingExample[] = [];
    for (const path of paths) {
      const series = await this.scanOf(path);
      const { rows, cols, slices } = series;
      const every = Math.max(1, Math.ceil(slices / 32));
      const sample: Float32Array[] = [];
      for (let k = 0; k < slices; k += every) sample.push(this.ws.readSlice(series.id, k));
      const joined = new Float32Array(sample.reduce((n, s) => n + s.length, 0));
      let at = 0;
      for (const s of sample) {
        joined.set(s, at);
        at += s.length;
      }
      const range = robustRange(joined);
      for (let k = 0; k < slices; k++)
        out.push(
          denoisingExample(
            toUnitRange(this.ws.readSlice(series.id, k), range),
            rows,
            cols,
            config.size,
            den.noise,
            config.seed,
            `${series.id}:${k}`,
          ),
        );
    }
    return out;
  }

  private async denoising(method: ExperimentMethod): Promise<DenoisingRow> {
    const { config } = this;
    const den = config.denoising!;
    const t0 = performance.now();
    const backend = await this.backendReady();
    const trainExamples = await this.denoisingExamples(den.train);
    const testExamples = await this.denoisingExamples(den.test);
    const net = createNetwork(method.backbone, config.width, [DENOISING_HEAD], config.seed);
    try {
      const weights = this.pretrainedWeights(method);
      if (weights) loadBackbone(net, weights.tensors, weights.source);
      const microBatch = chooseMicroBatch(config.batch, config.size, config.width, 1, backend.maxActivationBytes, method.backbone);
      const trainer = new FinetuneTrainer(
        net,
        trainExamples,
        { size: config.size, classes: 1, batch: config.batch, lr: config.lr, seed: config.seed, epochs: den.epochs, microBatch },
        denoisingObjective,
      );
      let steps = 0;
      try {
        const result = await trainer.run({
          control: this.hooks.control,
          onEvent: (e) => {
            if (e.type === 'progress')
              this.hooks.progress(
                `denoising ${method.method} (${method.backbone})`,
                e.globalStep,
                e.totalSteps ?? 0,
                `L1 ${e.loss.toFixed(4)}`,
              );
          },
        });
        if (result.status === 'cancelled') throw new ExperimentInterrupted('denoising stopped');
        steps = result.steps;
      } finally {
        trainer.dispose();
      }
      const scored = await denoisingPsnr(net, testExamples, config.size);
      return {
        method: method.method,
        backbone: method.backbone,
        t: method.t.length > 0 ? method.t : null,
        psnr: Math.round(scored.psnr * 100) / 100,
        noisyPsnr: Math.round(scored.noisyPsnr * 100) / 100,
        seed: config.seed,
        steps,
        seconds: Math.round((performance.now() - t0) / 100) / 10,
        backend: backend.name,
        trainSlices: trainExamples.length,
        testSlices: testExamples.length,
      };
    } finally {
      net.dispose();
    }
  }
}
