import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../../shared/errors.ts';
import type { BackendChoice } from '../../../shared/job.ts';
import type { FinetuneSummary, SegmentationJobEvent } from '../../../shared/segmentation.ts';
import { BackendUnavailableError } from '../../backends/backend-names.ts';
import { preprocessSlice, seriesIntensityRange } from '../../data/preprocess.ts';
import {
  NO_MAPPING,
  describeIntensity,
  recordedIntensity,
  resolveIntensity,
  sameIntensity,
  type IntensityMapping,
  type IntensitySpec,
} from '../../../shared/intensity-mapping.ts';
import { checkNetworkSize } from '../../networks/create-network.ts';
import { isBackboneName } from '../../networks/dense-network.ts';
import type { Backbone } from '../../../shared/job.ts';
import type { FinetuneSnapshot, SegmentationExample } from '../../segmentation/finetune-trainer.ts';
import type { FinetuneRequest } from '../../segmentation/build-finetuner.ts';
import { readCheckpointFile, writeCheckpointFile } from '../checkpoint-file.ts';
import { classesOf, resizeLabelsNearest, toClassIndices } from '../../segmentation/label-maps.ts';
import { IncompatibleWeightsError } from '../../segmentation/segmentation-net.ts';
import type { JobControl } from '../../train/control.ts';
import { readSliceAnnotations } from '../annotations/annotation-store.ts';
import { labelsOfClasses, readLabelSet } from '../annotations/label-set.ts';
import type { LabelDefinition } from '../../../shared/labels.ts';
import { FINETUNE_CHECKPOINT, finishedPretrained, readModel, readModels, type StoredModel } from '../workspace/model-state.ts';
import { Workspace } from '../workspace/workspace.ts';
import { placeFinetuneInProcess } from '../placement/in-process.ts';
import type { PlacedFinetuner, Placement } from '../placement/placed-run.ts';
import { readModelWeights, saveSegmentationModel } from './segmentation-model.ts';

/**
 * One fine-tuning run: every annotated slice of the workspace (or of the series named)
 * becomes a training example; the network starts from a pre-trained model's backbone
 * (heads dropped, a new softmax head over the label values present) or from random
 * weights. The model is written only when training finishes: an interrupted run leaves
 * the workspace — and any earlier model of that name — as it was.
 */
export interface FinetuneOptions {
  workspace: string;
  name: string;
  /** a model name, 'none', or null: the newest finished pre-trained model */
  init: string | null;
  /** null: until convergence */
  epochs: number | null;
  seed: number;
  backend: BackendChoice;
  batch: number;
  lr: number;
  /** only with init 'none' (otherwise they must match the pre-trained model's) */
  size?: number;
  width?: number;
  /** only with init 'none' (otherwise the pre-trained model's): unet or resnet50-fcn */
  backbone?: Backbone;
  /** empty: every series */
  seriesIds?: string[];
  microBatch?: number;
  /** continue the interrupted run called `name` from its checkpoint */
  resume?: boolean;
  /** a checkpoint at least this often (besides on cancel); default 5 minutes */
  checkpointIntervalMs?: number;
  /**
   * only with init 'none' (otherwise the pre-trained model's): how stored values become
   * grey levels; absent: the newest pre-trained model's, else by the series' modality
   */
  intensity?: IntensitySpec;
}

/** A fine-tuning's summary, and whether it finished or was cancelled (keeping its checkpoint). */
export type FinetuneOutcome = FinetuneSummary & { status: 'done' | 'cancelled' };

interface FinetuneCheckpointMeta {
  kind: 'ssmtl-finetune-checkpoint';
  init: string;
  network?: Backbone;
  size: number;
  width: number;
  seed: number;
  batch: number;
  lr: number;
  epochs: number | null;
  /** JSON of the intensity mapping (absent in checkpoints made before it existed: none) */
  intensity?: string;
  classes: number[];
  /** the labels as they were when the run started (older checkpoints: none) */
  labels?: LabelDefinition[];
  series: { id: string; slices: number[] }[];
  progress: FinetuneSnapshot['progress'];
  adamStep: number;
}

export const DEFAULT_FINETUNE = { batch: 8, lr: 0.001, size: 256, width: 64 } as const;

export async function runFinetune(
  options: FinetuneOptions,
  hooks: {
    emit?: (event: SegmentationJobEvent) => void;
    control?: JobControl;
    /** where the trainer runs; default: this process, on the backend options.backend picks */
    place?: Placement<FinetuneRequest, PlacedFinetuner>;
  } = {},
): Promise<FinetuneOutcome> {
  const emit = hooks.emit ?? (() => {});
  const workspace = Workspace.open(options.workspace, { create: false });
  let trainer: PlacedFinetuner | null = null;
  let modelFolder = '';
  try {
    const existing = readModel(workspace, options.name);
    if (existing && existing.kind !== 'segmentation')
      throw new InputError(`'${options.name}' is a ${existing.kind} model; choose another name for the segmentation model`, {
        setting: 'name',
      });
    modelFolder = workspace.modelDir(options.name); // validates the name before any work
    if (options.resume && !existsSync(join(modelFolder, FINETUNE_CHECKPOINT))) {
      throw new InputError(`fine-tuning '${options.name}' has no checkpoint in ${modelFolder}: nothing to resume`, {
        setting: 'resume',
        remedy: 'without-resume',
      });
    }

    // The training data: annotated slices only.
    const wanted =
      options.seriesIds && options.seriesIds.length > 0
        ? options.seriesIds.map((id) => workspace.requireSeries(id))
        : workspace.listSeries();
    const annotated = wanted.map((series) => ({ series, maps: readSliceAnnotations(workspace, series) })).filter((a) => a.maps.length > 0);
    const trainSlices = annotated.reduce((n, a) => n + a.maps.length, 0);
    if (trainSlices === 0) {
      throw new InputError(
        `no annotated slices in ${workspace.dir}${options.seriesIds?.length ? ` for series ${options.seriesIds.join(', ')}` : ''}`,
        { remedy: 'annotate', value: options.workspace },
      );
    }
    const classes = classesOf(annotated.flatMap((a) => a.maps.map((m) => m.labels)));
    if (classes.length < 2)
      throw new InputError(`the ${trainSlices} annotated slices hold only background: paint at least one structure before fine-tuning`);

    // Where the weights start.
    let initRecord: StoredModel | null = null;
    if (options.init === null) {
      initRecord = finishedPretrained(workspace).at(-1) ?? null;
      if (!initRecord)
        throw new InputError(
          `no finished pre-trained model in ${workspace.dir}: run ssmtl pretrain first, name one with --init MODEL, or train from random weights with --init none`,
        );
    } else if (options.init !== 'none') {
      initRecord = readModel(workspace, options.init) ?? null;
      if (!initRecord) {
        const names = readModels(workspace).map((m) => m.name);
        throw new InputError(`no model '${options.init}' in ${workspace.dir} (it has: ${names.length ? names.join(', ') : 'none'})`, {
          setting: 'init',
          remedy: 'init-none',
        });
      }
    }
    let size: number;
    let width: number;
    let network: Backbone;
    let intensity: IntensityMapping;
    if (initRecord) {
      const { meta } = initRecord;
      const atInit = { setting: 'init', value: initRecord.name } as const;
      if (!meta.size || !meta.width) throw new InputError('the model does not record its size and width', atInit);
      const recorded =
        initRecord.kind === 'pretrained' ? (initRecord.meta.backbone ?? initRecord.meta.network ?? 'unet') : initRecord.meta.network;
      if (!isBackboneName(recorded)) throw new InputError(`its network '${recorded}' is not one this version builds`, atInit);
      if (options.backbone !== undefined && options.backbone !== recorded)
        throw new InputError(`does not match the pre-trained model '${initRecord.name}' (a ${recorded}): leave it out`, {
          setting: 'backbone',
          value: options.backbone,
        });
      for (const [flag, asked, has] of [
        ['size', options.size, meta.size],
        ['width', options.width, meta.width],
      ] as const) {
        if (asked !== undefined && asked !== has)
          throw new InputError(
            `--${flag} ${asked} does not match the pre-trained model '${initRecord.name}' (size ${meta.size}, width ${meta.width}): leave --${flag} out or pre-train at that ${flag}`,
          );
      }
      size = meta.size;
      width = meta.width;
      network = recorded;
      intensity = recordedIntensity(meta.intensity);
      // 'auto' with a model to start from: the model's.
      if (options.intensity !== undefined && options.intensity !== 'auto' && !sameIntensity(options.intensity, intensity))
        throw new InputError(
          `the intensity mapping asked for (${describeIntensity(options.intensity)}) ` +
            `does not match the model '${initRecord.name}' starts from (${describeIntensity(intensity)}): a fine-tuning keeps the mapping its backbone learnt with; leave it out`,
        );
    } else {
      // From scratch: by default the architecture of the newest pre-trained model, so that scratch and pre-trained compare like for like.
      const reference = finishedPretrained(workspace).at(-1)?.meta;
      size = options.size ?? reference?.size ?? DEFAULT_FINETUNE.size;
      width = options.width ?? reference?.width ?? DEFAULT_FINETUNE.width;
      network = options.backbone ?? (reference && isBackboneName(reference.backbone) ? reference.backbone : 'unet');
      intensity = resolveIntensity(
        options.intensity ?? (reference ? recordedIntensity(reference.intensity) : 'auto'),
        annotated.map((a) => a.series.modality),
      );
    }
    try {
      checkNetworkSize(network, size);
    } catch (error) {
      throw new InputError((error as Error).message, { setting: 'size' });
    }

    const examples: SegmentationExample[] = [];
    for (const { series, maps } of annotated) {
      const read = (k: number) => workspace.readSlice(series.id, k);
      const range = seriesIntensityRange(intensity, series, size, read);
      for (const { index, labels } of maps) {
        examples.push({
          image: preprocessSlice(read(index), series.rows, series.cols, size, range),
          target: toClassIndices(resizeLabelsNearest(labels, series.rows, series.cols, size, size), classes),
        });
      }
    }
    const pixelCounts = classes.map(() => 0);
    for (const e of examples) for (let p = 0; p < e.target.length; p++) pixelCounts[e.target[p]]++;
    const init = initRecord?.name ?? 'none';
    const seriesUsed = annotated.map((a) => ({ id: a.series.id, slices: a.maps.map((m) => m.index) }));
    const checkpointPath = join(modelFolder, FINETUNE_CHECKPOINT);
    const settings = {
      init,
      network,
      size,
      width,
      seed: options.seed,
      batch: options.batch,
      lr: options.lr,
      intensity: JSON.stringify(intensity),
    };
    let resume: FinetuneSnapshot | null = null;
    // The model keeps the names, colours and values it learnt: the workspace's set may change later.
    let labels = labelsOfClasses(readLabelSet(workspace), classes);
    if (options.resume) {
      const { header, tensors } = readCheckpointFile(checkpointPath);
      const meta = header as unknown as FinetuneCheckpointMeta;
      const changed = (Object.keys(settings) as (keyof typeof settings)[]).filter((k) => meta[k] !== settings[k]);
      meta.network ??= 'unet';
      meta.intensity ??= JSON.stringify(NO_MAPPING);
      if (JSON.stringify(meta.classes) !== JSON.stringify(classes) || JSON.stringify(meta.series) !== JSON.stringify(seriesUsed))
        changed.push('annotated slices' as never);
      if (changed.length > 0)
        throw new InputError(`the stopped fine-tuning '${options.name}' had other ${changed.join(', ')}, so it cannot continue`, {
          remedy: 'without-resume',
        });
      resume = { progress: meta.progress, adamStep: meta.adamStep, tensors };
      labels = meta.labels ?? labels;
    }
    const request: FinetuneRequest = {
      network,
      size,
      width,
      batch: options.batch,
      lr: options.lr,
      seed: options.seed,
      epochs: options.epochs,
      classes,
      pixelCounts,
      examples,
      backbone: initRecord
        ? {
            tensors: readModelWeights(workspace, initRecord),
            source: `pre-trained model '${initRecord.name}' (${network}, size ${size}, width ${width})`,
          }
        : null,
      resume,
      microBatch: options.microBatch,
    };
    try {
      trainer = await (hooks.place ?? ((r: FinetuneRequest) => placeFinetuneInProcess(options.backend, r)))(request);
    } catch (error) {
      if (error instanceof BackendUnavailableError) throw new InputError(error.message, { setting: 'backend', value: options.backend });
      if (error instanceof IncompatibleWeightsError) throw new InputError(error.message, { setting: 'init', value: init });
      throw error;
    }
    const { backend, microBatch } = trainer;
    emit({
      type: 'started',
      model: options.name,
      backend: backend.name,
      backendNotes: [backend.description, ...backend.notes],
      trainSlices,
      classes,
      init,
      epochs: options.epochs,
      stepsPerEpoch: trainer.stepsPerEpoch,
      microBatch,
    });
    const result = await trainer.run({
      control: hooks.control,
      onEvent: emit,
      checkpointIntervalMs: options.checkpointIntervalMs,
      onCheckpoint: (snapshot) => {
        const meta: FinetuneCheckpointMeta = {
          kind: 'ssmtl-finetune-checkpoint',
          ...settings,
          epochs: options.epochs,
          classes,
          labels,
          series: seriesUsed,
          progress: snapshot.progress,
          adamStep: snapshot.adamStep,
        };
        writeCheckpointFile(checkpointPath, meta as unknown as Record<string, unknown>, snapshot.tensors);
      },
    });
    const summary = {
      model: options.name,
      init,
      backend: backend.name,
      epochs: result.epochs,
      seconds: Math.round(result.seconds * 1000) / 1000,
      trainSlices,
      classes,
      steps: result.steps,
      stopReason: result.stopReason === 'cancelled' ? ('epochs' as const) : result.stopReason,
      size,
      width,
      loss: { first: result.perEpoch[0] ?? null, last: result.perEpoch.at(-1) ?? null, perEpoch: result.perEpoch },
      series: seriesUsed,
      status: result.status,
    };
    if (result.status === 'done') {
      saveSegmentationModel(workspace, options.name, await trainer.weights(), {
        network,
        size,
        width,
        classes,
        labels,
        init,
        seed: options.seed,
        lr: options.lr,
        batch: options.batch,
        intensity,
        normalization: 'instance',
        resize: 'bilinear',
        trainSlices,
        series: seriesUsed,
        epochs: result.epochs,
        steps: result.steps,
        stopReason: result.stopReason,
        seconds: result.seconds,
        backend: backend.name,
        loss: result.perEpoch,
      });
      rmSync(checkpointPath, { force: true });
    }
    return summary;
  } finally {
    await trainer?.dispose();
    // A run that saved nothing leaves no empty model folder behind.
    if (modelFolder && existsSync(modelFolder) && readdirSync(modelFolder).length === 0 && !workspace.getModel(options.name))
      rmSync(modelFolder, { recursive: true, force: true });
    workspace.close();
  }
}
