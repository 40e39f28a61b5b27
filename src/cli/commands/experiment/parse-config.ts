import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { InputError } from '../../../shared/errors.ts';
import {
  methodKey,
  SLICE_STRATEGIES,
  type ExperimentConfig,
  type ExperimentMethod,
  type LabelledScan,
  type SliceStrategy,
} from '../../../shared/experiment.ts';
import { BACKBONES, PRETRAIN_METHODS, defaultBackbone, type Backbone, type PretrainMethod } from '../../../shared/job.ts';
import { backboneProblem } from '../../../shared/pretrain-methods.ts';
import { parseIntensitySpec, type IntensitySpec } from '../../../shared/intensity-mapping.ts';
import { isBackendChoice } from '../../../engine/backends/backend-names.ts';
import { checkNetworkSize } from '../../../engine/networks/create-network.ts';
import { DEFAULT_NOISE } from '../../../engine/denoising/noise-model.ts';

/**
 * Reads and checks an experiment's CONFIG.json (CONTRACT.md `experiment`): every problem
 * is an InputError naming the file and the key ("ct.json: segmentation.test[3].labels:
 * … does not exist"); relative paths are taken from the config's folder; defaults are
 * the paper's (size 256, width 64, batch 16, lr 1e-3, 100 pre-training epochs, t = 5,
 * 20 labelled slices per training scan, 3 seeds).
 */
type Json = Record<string, unknown>;

const TOP_KEYS = [
  'name',
  'size',
  'width',
  'batch',
  'lr',
  'seed',
  'backend',
  'classes',
  'pretrain',
  'segmentation',
  'denoising',
  'seeds',
  'strategies',
  'allowTrainOnTest',
  'intensity',
];

export function readExperimentConfig(file: string): ExperimentConfig {
  const path = resolve(file);
  if (!existsSync(path)) throw new InputError(`${file}: no such file`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InputError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  return parseExperimentConfig(raw, file, dirname(path));
}

export function parseExperimentConfig(raw: unknown, file: string, baseDir: string): ExperimentConfig {
  const fail = (key: string, why: string): never => {
    throw new InputError(`${file}: ${key}: ${why}`);
  };
  const object = (value: unknown, key: string, allowed: string[]): Json => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(key, 'must be an object');
    for (const k of Object.keys(value))
      if (!allowed.includes(k)) fail(`${key}.${k}`.replace(/^\./, ''), `unknown key (expected one of ${allowed.join(', ')})`);
    return value as Json;
  };
  const number = (
    o: Json,
    key: string,
    path: string,
    fallback: number | undefined,
    opts: { integer?: boolean; min?: number; max?: number } = {},
  ) => {
    const value = o[key];
    if (value === undefined) {
      if (fallback === undefined) return fail(path, 'is required');
      return fallback;
    }
    const { integer = false, min = -Infinity, max = Infinity } = opts;
    if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max)
      fail(path, `must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${JSON.stringify(value)}`);
    return value as number;
  };
  const existing = (value: unknown, key: string): string => {
    if (typeof value !== 'string' || value.length === 0) return fail(key, 'must be a path (a NIfTI file or a DICOM folder)');
    const absolute = isAbsolute(value) ? value : resolve(baseDir, value);
    if (!existsSync(absolute)) fail(key, `${absolute} does not exist`);
    return absolute;
  };
  const paths = (value: unknown, key: string, required: boolean): string[] => {
    if (value === undefined && !required) return [];
    if (!Array.isArray(value) || (required && value.length === 0)) return fail(key, 'must be a non-empty list of paths');
    return value.map((v, i) => existing(v, `${key}[${i}]`));
  };

  const top = object(raw, '', TOP_KEYS);
  const name = top.name;
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name))
    fail('name', 'must be a short name of letters, digits, dots, dashes or underscores (it names the results folder)');
  const size = number(top, 'size', 'size', 256, { integer: true, min: 16, max: 2048 });
  const width = number(top, 'width', 'width', 64, { integer: true, min: 1, max: 512 });
  const batch = number(top, 'batch', 'batch', 16, { integer: true, min: 1, max: 4096 });
  const lr = number(top, 'lr', 'lr', 0.001, { min: 1e-9, max: 10 });
  const seed = number(top, 'seed', 'seed', 0, { integer: true, min: 0, max: 2 ** 31 - 1 });
  const backend = top.backend ?? 'auto';
  if (typeof backend !== 'string' || !isBackendChoice(backend))
    fail('backend', `must be auto, tensorflow, webgpu, wasm or cpu, got ${JSON.stringify(backend)}`);

  const classesRaw = top.classes;
  if (typeof classesRaw !== 'object' || classesRaw === null || Array.isArray(classesRaw) || Object.keys(classesRaw).length === 0)
    fail('classes', 'must map class names to label values, e.g. { "LV": 500, "RV": 600 }');
  const classes: Record<string, number> = {};
  for (const [k, v] of Object.entries(classesRaw as Json)) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535)
      fail(`classes.${k}`, `must be a label value in [1, 65535], got ${JSON.stringify(v)}`);
    if (Object.values(classes).includes(v as number)) fail(`classes.${k}`, `value ${String(v)} is given to two classes`);
    classes[k] = v as number;
  }

  const pretrainRaw = object(top.pretrain ?? {}, 'pretrain', ['volumes', 'epochs', 'methods']);
  const pretrainEpochs = number(pretrainRaw, 'epochs', 'pretrain.epochs', 100, { integer: true, min: 1, max: 1_000_000 });
  const methodsRaw = pretrainRaw.methods ?? [
    { method: 'none' },
    { method: 'ssmtl', t: 5 },
    { method: 'ssmtl+', t: 5 },
    { method: 'mocov2' },
  ];
  if (!Array.isArray(methodsRaw) || methodsRaw.length === 0) fail('pretrain.methods', 'must be a non-empty list of { "method": … }');
  const methods: ExperimentMethod[] = (methodsRaw as unknown[]).map((m, i) => {
    const key = `pretrain.methods[${i}]`;
    const o = object(m, key, ['method', 't', 'backbone', 'epochs', 'lambda']);
    const method = o.method;
    if (method !== 'none' && !(PRETRAIN_METHODS as readonly unknown[]).includes(method))
      fail(`${key}.method`, `must be none, ${PRETRAIN_METHODS.join(', ')}; got ${JSON.stringify(method)}`);
    const backbone = (o.backbone ?? (method === 'none' ? 'unet' : defaultBackbone(method as PretrainMethod))) as Backbone;
    if (!BACKBONES.includes(backbone)) fail(`${key}.backbone`, `must be ${BACKBONES.join(' or ')}, got ${JSON.stringify(o.backbone)}`);
    if (method !== 'none') {
      const problem = backboneProblem(method as PretrainMethod, backbone);
      if (problem) fail(`${key}.backbone`, problem);
    }
    try {
      checkNetworkSize(backbone, size);
    } catch (error) {
      fail('size', `${(error as Error).message} (${key} uses the ${backbone})`);
    }
    const tRaw = o.t ?? 5;
    const t = (Array.isArray(tRaw) ? tRaw : [tRaw]).map((v, j) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 1000)
        fail(`${key}.t`, `must be an integer in [1, 1000] (or a list of them), got ${JSON.stringify(Array.isArray(tRaw) ? tRaw[j] : v)}`);
      return v as number;
    });
    if (new Set(t).size !== t.length) fail(`${key}.t`, `values repeat: ${t.join(', ')}`);
    if (o.lambda !== undefined && method !== 'ssmtl+')
      fail(`${key}.lambda`, 'is the weight of SSMTL+’s similarity task: only for "method": "ssmtl+"');
    return {
      method: method as ExperimentMethod['method'],
      t: method === 'mocov2' || method === 'none' ? [] : t,
      backbone,
      epochs: number(o, 'epochs', `${key}.epochs`, pretrainEpochs, { integer: true, min: 1, max: 1_000_000 }),
      ...(method === 'ssmtl+' ? { lambda: number(o, 'lambda', `${key}.lambda`, 1, { min: 0, max: 1000 }) } : {}),
    };
  });
  const keys = methods.map((m) => methodKey(m));
  keys.forEach((k, i) => {
    if (keys.indexOf(k) !== i) fail(`pretrain.methods[${i}]`, `repeats an earlier entry (${k})`);
  });
  const pretrains = methods.some((m) => m.method !== 'none');
  const volumes = paths(pretrainRaw.volumes, 'pretrain.volumes', pretrains);

  const segRaw = object(top.segmentation, 'segmentation', ['train', 'test', 'labeledSlices', 'epochs']);
  const scans = (value: unknown, key: string): LabelledScan[] => {
    if (!Array.isArray(value) || value.length === 0) return fail(key, 'must be a non-empty list of { "image": …, "labels": … }');
    return value.map((s, i) => {
      const o = object(s, `${key}[${i}]`, ['image', 'labels']);
      return { image: existing(o.image, `${key}[${i}].image`), labels: existing(o.labels, `${key}[${i}].labels`) };
    });
  };
  const train = scans(segRaw.train, 'segmentation.train');
  const test = scans(segRaw.test, 'segmentation.test');
  const labeledSlices = number(segRaw, 'labeledSlices', 'segmentation.labeledSlices', 20, { integer: true, min: 1, max: 100_000 });
  const segEpochs =
    segRaw.epochs === undefined || segRaw.epochs === null
      ? null
      : number(segRaw, 'epochs', 'segmentation.epochs', 50, { integer: true, min: 1, max: 1_000_000 });

  let denoising: ExperimentConfig['denoising'] = null;
  if (top.denoising !== undefined) {
    const d = object(top.denoising, 'denoising', ['train', 'test', 'epochs', 'noise']);
    const noise = object(d.noise ?? DEFAULT_NOISE, 'denoising.noise', ['a', 'b']);
    denoising = {
      train: paths(d.train, 'denoising.train', true),
      test: paths(d.test, 'denoising.test', true),
      epochs: number(d, 'epochs', 'denoising.epochs', 50, { integer: true, min: 1, max: 1_000_000 }),
      noise: {
        a: number(noise, 'a', 'denoising.noise.a', DEFAULT_NOISE.a, { min: 0, max: 10 }),
        b: number(noise, 'b', 'denoising.noise.b', DEFAULT_NOISE.b, { min: 0, max: 10 }),
      },
    };
  }
  const seeds = number(top, 'seeds', 'seeds', 3, { integer: true, min: 1, max: 100 });
  const strategiesRaw = top.strategies ?? ['random'];
  if (!Array.isArray(strategiesRaw) || strategiesRaw.length === 0) fail('strategies', `must be a list of ${SLICE_STRATEGIES.join(', ')}`);
  const strategies = (strategiesRaw as unknown[]).map((s, i) => {
    if (!(SLICE_STRATEGIES as readonly unknown[]).includes(s))
      fail(`strategies[${i}]`, `must be ${SLICE_STRATEGIES.join(', ')}, got ${JSON.stringify(s)}`);
    return s as SliceStrategy;
  });
  const allowTrainOnTest = top.allowTrainOnTest ?? false;
  if (typeof allowTrainOnTest !== 'boolean') fail('allowTrainOnTest', 'must be true or false');
  if (!allowTrainOnTest) {
    const trainImages = new Set(train.map((s) => s.image));
    test.forEach((s, i) => {
      if (trainImages.has(s.image))
        fail(
          `segmentation.test[${i}].image`,
          `${s.image} is also a training scan: a test scan must be another patient (or set "allowTrainOnTest": true to score its other slices)`,
        );
    });
  }
  let intensity: IntensitySpec = 'auto';
  if (top.intensity !== undefined) {
    if (typeof top.intensity !== 'string') fail('intensity', 'must be a string such as "auto", "percentile", "window:40,400" or "abdomen"');
    try {
      intensity = parseIntensitySpec(top.intensity as string);
    } catch (error) {
      fail('intensity', (error as Error).message);
    }
  }
  return {
    name: name as string,
    size,
    width,
    batch,
    lr,
    seed,
    backend: backend as ExperimentConfig['backend'],
    classes,
    pretrain: { volumes, epochs: pretrainEpochs, methods },
    segmentation: { train, test, labeledSlices, epochs: segEpochs },
    denoising,
    seeds,
    strategies: [...new Set(strategies)],
    allowTrainOnTest: allowTrainOnTest as boolean,
    intensity,
  };
}
