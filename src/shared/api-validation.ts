import { STUDIO_METHODS, type StudioMethod } from './api.ts';
import { GPU_UPLOAD_MAX_BYTES, GPU_UPLOAD_PART_BYTES } from './gpu-worker.ts';
import { InputError } from './errors.ts';
import { MAX_LABEL_VALUE } from './labels.ts';
import { BACKBONES, PRETRAIN_METHODS } from './job.ts';
import { isValidStudyDate, isValidUid, pacsEntryProblem, type PacsEntry } from './pacs.ts';

/**
 * Checks every API call that arrives from a renderer (IPC or WebSocket) before it
 * reaches the engine: the method exists, the argument count and every argument's shape
 * are right. A renderer is not trusted: a compromised page must not be able to pass a
 * path where a name is expected, a huge number, or an object where a string is.
 */
type Check = (value: unknown, name: string) => void;

const MAX_TEXT = 4096;
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$/;
const BACKENDS = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

function fail(name: string, what: string): never {
  throw new InputError(`${name}: ${what}`);
}

const text: Check = (v, name) => {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_TEXT) fail(name, 'expected a non-empty string');
};
const modelName: Check = (v, name) => {
  if (typeof v !== 'string' || !MODEL_NAME.test(v)) fail(name, "expected a model name (letters, digits, '.', '_', '+', '-')");
};
const optionalModelName: Check = (v, name) => {
  if (v !== '' && v !== null) modelName(v, name);
};
const integer =
  (min: number, max: number): Check =>
  (v, name) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(name, `expected an integer in [${min}, ${max}]`);
  };
const oneOf =
  (values: readonly string[]): Check =>
  (v, name) => {
    if (typeof v !== 'string' || !values.includes(v)) fail(name, `expected one of ${values.join(', ')}`);
  };
const list =
  (item: Check, max: number): Check =>
  (v, name) => {
    if (!Array.isArray(v) || v.length > max) fail(name, `expected a list of at most ${max}`);
    v.forEach((x, i) => item(x, `${name}[${i}]`));
  };
const bytes =
  (maxBytes: number): Check =>
  (v, name) => {
    if (!(v instanceof Uint8Array) || v.byteLength > maxBytes) fail(name, `expected bytes (at most ${maxBytes})`);
  };
const finite: Check = (v, name) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(name, 'expected a finite number');
};
const boolean: Check = (v, name) => {
  if (typeof v !== 'boolean') fail(name, 'expected true or false');
};
/** A label of the palette: its value, a name of at most 64 characters (a DICOM SEG's segment label), a '#rrggbb' colour. */
const paletteLabel: Check = (v, name) =>
  record({
    value: integer(1, MAX_LABEL_VALUE),
    name: (n, field) => {
      if (typeof n !== 'string' || !n.trim() || n.length > 64) fail(field, 'expected a name of 1 to 64 characters');
    },
    color: (c, field) => {
      if (typeof c !== 'string' || !/^#[0-9a-fA-F]{6}$/.test(c)) fail(field, "expected a colour '#rrggbb'");
    },
  })(v, name);
/** Loss per head name: a few entries of finite numbers. */
const lossesByName: Check = (v, name) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.keys(v).length > 64)
    fail(name, 'expected an object of at most 64 numbers');
  for (const [key, value] of Object.entries(v as Record<string, unknown>)) {
    text(key, name);
    if (key in Object.prototype) fail(name, `'${key}' is not a loss name`);
    finite(value, `${name}.${key}`);
  }
};
const nullable =
  (check: Check): Check =>
  (v, name) => {
    if (v !== null) check(v, name);
  };
const optional =
  (check: Check): Check =>
  (v, name) => {
    if (v !== undefined) check(v, name);
  };
// Names are looked up as own properties only: with `in` or a plain index, '__proto__',
// 'constructor' or 'toString' would be found on Object.prototype and pass unchecked.
/** One of several records, told apart by their 'type' field. */
const tagged =
  (variants: Record<string, Record<string, Check>>): Check =>
  (v, name) => {
    const type = typeof v === 'object' && v !== null && Object.hasOwn(v, 'type') ? (v as { type?: unknown }).type : undefined;
    if (typeof type !== 'string' || !Object.hasOwn(variants, type))
      fail(name, `expected an object whose type is one of ${Object.keys(variants).join(', ')}`);
    record({ type: () => {}, ...variants[type] })(v, name);
  };
const record =
  (fields: Record<string, Check>): Check =>
  (v, name) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(name, 'expected an object');
    const object = v as Record<string, unknown>;
    for (const key of Object.keys(object)) if (!Object.hasOwn(fields, key)) fail(name, `unexpected field '${key.slice(0, 100)}'`);
    for (const [key, check] of Object.entries(fields)) check(Object.hasOwn(object, key) ? object[key] : undefined, `${name}.${key}`);
  };

/** 4096² slices of uint16 labels: far above any CT or MR slice. */
const MAX_MASK_BYTES = 4096 * 4096 * 2;

const count = integer(0, 1_000_000_000);
// Pre-training's events, and fine-tuning's (no heads or rate; totals unknown until convergence).
const gpuJobEvent = tagged({
  progress: {
    epoch: count,
    epochs: optional(count),
    step: count,
    stepsPerEpoch: count,
    globalStep: count,
    totalSteps: nullable(count),
    loss: finite,
    headLosses: optional(lossesByName),
    imagesPerSecond: optional(finite),
    etaSeconds: nullable(finite),
  },
  epoch: { epoch: count, loss: finite, headLosses: optional(lossesByName) },
  checkpoint: { epoch: count, step: count, reason: oneOf(['epoch', 'interval', 'pause', 'cancel']) },
  state: { state: oneOf(['running', 'paused', 'done', 'cancelled']) },
  log: { message: text },
  slices: { done: count, total: count },
});
const gpuReport = tagged({
  event: { event: gpuJobEvent },
  finished: {
    result: record({
      status: oneOf(['done', 'cancelled', 'stopped']),
      seconds: finite,
      // training
      perEpoch: optional(list(finite, 1_000_000)),
      steps: optional(count),
      // pre-training
      perEpochHeads: optional(list(list(finite, 64), 1_000_000)),
      imagesPerSecond: optional(finite),
      // fine-tuning
      stopReason: optional(oneOf(['converged', 'fit', 'max-steps', 'epochs', 'cancelled'])),
      epochs: optional(count),
    }),
  },
  failed: { kind: oneOf(['nan', 'internal']), message: text },
});

const PACS_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const pacsName: Check = (v, name) => {
  if (typeof v !== 'string' || !PACS_NAME.test(v)) fail(name, "expected a PACS name (letters, digits, '.', '_', '-')");
};
const uid: Check = (v, name) => {
  if (typeof v !== 'string' || !isValidUid(v)) fail(name, 'expected a DICOM UID');
};
const shortText =
  (max: number): Check =>
  (v, name) => {
    if (typeof v !== 'string' || v.length > max) fail(name, `expected text of at most ${max} characters`);
  };
const secret: Check = (v, name) => {
  // Never echoed: a message about a secret names the argument only.
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_TEXT) fail(name, 'expected a non-empty secret of at most 4096 characters');
};
const nullableText: Check = (v, name) => {
  if (v !== null) text(v, name);
};
const pacsAuth: Check = (v, name) => {
  const kind = typeof v === 'object' && v !== null ? (v as { kind?: unknown }).kind : undefined;
  if (kind === 'none') record({ kind: () => {} })(v, name);
  else if (kind === 'basic') record({ kind: () => {}, user: text, passwordEnv: nullableText })(v, name);
  else if (kind === 'bearer') record({ kind: () => {}, tokenEnv: nullableText })(v, name);
  else fail(name, 'expected auth of kind none, basic or bearer');
};
const pacsEntry: Check = (v, name) => {
  record({
    name: pacsName,
    protocol: oneOf(['dicomweb', 'dimse']),
    url: nullableText,
    calledAet: nullableText,
    host: nullableText,
    port: nullable(integer(1, 65535)),
    callingAet: text,
    tls: boolean,
    caFile: nullableText,
    auth: pacsAuth,
    timeoutSeconds: integer(1, 3600),
    retries: integer(0, 10),
  })(v, name);
  const problem = pacsEntryProblem(v as PacsEntry);
  if (problem) fail(name, problem);
};
const pacsQuery: Check = (v, name) => {
  record({
    patientId: optional(shortText(64)),
    studyDate: optional((d, n) => {
      if (typeof d !== 'string' || !isValidStudyDate(d)) fail(n, 'expected YYYYMMDD or YYYYMMDD-YYYYMMDD');
    }),
    modality: optional(shortText(16)),
    description: optional(shortText(64)),
    limit: optional(integer(1, 1000)),
  })(v, name);
};

const pretrainSettings: Check = record({
  seriesIds: list(text, 10_000),
  method: oneOf([...PRETRAIN_METHODS]),
  backbone: optional(oneOf([...BACKBONES])),
  t: integer(1, 1000),
  epochs: integer(1, 100_000),
  size: integer(16, 2048),
  width: integer(1, 512),
  batch: integer(1, 4096),
  backend: oneOf(BACKENDS),
  name: optionalModelName,
});

const SIGNATURES: Record<StudioMethod, Check[]> = {
  workspace: [],
  listSeries: [],
  listModels: [],
  listLabels: [],
  saveLabels: [list(paletteLabel, MAX_LABEL_VALUE)],
  listJobs: [],
  startImport: [list(text, 1000)],
  startImportSample: [],
  startPretrain: [pretrainSettings],
  estimatePretrain: [pretrainSettings],
  startFinetune: [
    record({
      init: optionalModelName,
      epochs: integer(1, 100_000),
      backend: oneOf(BACKENDS),
      name: optionalModelName,
      predictSeriesId: (v, name) => {
        if (v !== null) text(v, name);
      },
    }),
  ],
  startPredict: [record({ model: modelName, seriesId: text, backend: optional(oneOf(BACKENDS)) })],
  controlJob: [text, oneOf(['pause', 'resume', 'cancel'])],
  saveAnnotation: [text, integer(0, 100_000), bytes(MAX_MASK_BYTES)],
  exportSegmentation: [
    record({
      seriesId: text,
      model: (v, name) => {
        if (v !== null) modelName(v, name);
      },
      format: oneOf(['dicom-seg', 'nifti']),
    }),
  ],
  listPacs: [],
  savePacs: [pacsEntry, nullable(secret)],
  removePacs: [pacsName],
  unlockPacs: [pacsName, secret],
  echoPacs: [pacsName],
  findInPacs: [pacsName, pacsQuery],
  startPacsGet: [pacsName, list(uid, 100)],
  storeToPacs: [pacsName, text, modelName],
  chooseFolder: [],
  registerGpuWorker: [record({ label: text, software: boolean })],
  releaseGpuWorker: [text],
  gpuWorkerReport: [text, text, gpuReport],
  gpuWorkerUpload: [
    text,
    text,
    record({
      kind: oneOf(['checkpoint', 'weights', 'prediction']),
      reason: oneOf(['epoch', 'interval', 'pause', 'cancel', 'done']),
      offset: integer(0, GPU_UPLOAD_MAX_BYTES),
      total: integer(1, GPU_UPLOAD_MAX_BYTES),
    }),
    bytes(GPU_UPLOAD_PART_BYTES),
  ],
  gpuWorkerDownload: [text, text, integer(0, GPU_UPLOAD_MAX_BYTES), integer(1, GPU_UPLOAD_PART_BYTES)],
};

export function validateCall(method: unknown, params: unknown): { method: StudioMethod; params: unknown[] } {
  if (typeof method !== 'string' || !(STUDIO_METHODS as string[]).includes(method)) {
    throw new InputError(`unknown API method '${String(method).slice(0, 100)}'`);
  }
  const known = method as StudioMethod;
  const signature = SIGNATURES[known];
  if (!Array.isArray(params) || params.length !== signature.length) {
    throw new InputError(`${known} takes ${signature.length} argument(s)`);
  }
  signature.forEach((check, i) => check(params[i], `${known} argument ${i + 1}`));
  return { method: known, params };
}
