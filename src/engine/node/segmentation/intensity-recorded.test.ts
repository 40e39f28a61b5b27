import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIntensitySpec, type IntensityMapping } from '../../../shared/intensity-mapping.ts';
import type { PredictRequest } from '../../segmentation/predict.ts';
import { saveSliceAnnotations } from '../annotations/annotation-store.ts';
import { importScanned } from '../import/import-series.ts';
import { scanPaths } from '../import/scan-paths.ts';
import { placePredictInProcess } from '../placement/in-process.ts';
import { runPretrain } from '../pretrain-job.ts';
import { syntheticVolume, writeNifti } from '../test-fixtures.ts';
import { readModel } from '../workspace/model-state.ts';
import { Workspace } from '../workspace/workspace.ts';
import { runFinetune, type FinetuneOptions } from './finetune-job.ts';
import { runPredict } from './predict-job.ts';

/**
 * The intensity mapping travels with the model: pre-training records the one it used
 * (auto: by modality; these NIfTI volumes carry none, so each volume's percentiles), a
 * fine-tuning inherits it, and predict hands the model's mapping to the network's
 * placement (predict.test.ts checks what the network then sees); a model recorded before
 * the mapping existed keeps the stored values and says so.
 */
let root = '';
let workspace = '';
let seriesId = '';

const percentiles: IntensityMapping = { kind: 'percentile', low: 0.5, high: 99.5 };
const finetune = (name: string, init: string, extra: Partial<FinetuneOptions> = {}) =>
  runFinetune({ workspace, name, init, epochs: 1, seed: 0, backend: 'cpu', batch: 4, lr: 1e-3, ...extra });

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'ssmtl-intensity-'));
  const volumes = join(root, 'volumes');
  mkdirSync(volumes);
  writeNifti(join(volumes, 'a.nii'), syntheticVolume(12, 24, 24, 1), 12, 24, 24);
  workspace = join(root, 'ws');
  const ws = Workspace.open(workspace, { create: true });
  try {
    await importScanned(ws, scanPaths([volumes]));
    const [series] = ws.listSeries();
    seriesId = series.id;
    const slice = (k: number) => Uint16Array.from(ws.readSlice(series.id, k), (v) => (v > 300 ? 500 : 0));
    saveSliceAnnotations(
      ws,
      series,
      [2, 6].map((index) => ({ index, labels: slice(index) })),
    );
  } finally {
    ws.close();
  }
  await runPretrain({
    workspace,
    seriesIds: [],
    method: 'ssmtl',
    backbone: 'unet',
    ts: [3],
    epochs: 1,
    batch: 4,
    size: 16,
    width: 2,
    lr: 1e-3,
    seed: 0,
    backend: 'cpu',
    name: 'pre',
    resume: false,
  });
}, 120_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

function meta(name: string): { intensity?: IntensityMapping } {
  const ws = Workspace.open(workspace, { create: false });
  try {
    return readModel(ws, name)?.meta as { intensity?: IntensityMapping };
  } finally {
    ws.close();
  }
}

/** What predict asks the placement for, and what it reports. */
async function predictWith(model: string): Promise<{ request: PredictRequest; intensity: string | undefined }> {
  let request: PredictRequest | null = null;
  const ws = Workspace.open(workspace, { create: false });
  try {
    const summary = await runPredict(
      { workspace, model, seriesId, out: null, backend: 'cpu' },
      {
        place: (r) => {
          request = r;
          return placePredictInProcess(ws, 'cpu', r);
        },
      },
    );
    return { request: request as unknown as PredictRequest, intensity: summary.intensity };
  } finally {
    ws.close();
  }
}

describe('the intensity mapping recorded in a model and applied where it is used', () => {
  it('pre-training records the mapping it chose; fine-tuning inherits it; predict applies it', async () => {
    expect(meta('pre').intensity).toEqual(percentiles);
    await finetune('seg', 'pre');
    expect(meta('seg').intensity).toEqual(percentiles);
    const { request, intensity } = await predictWith('seg');
    expect(request.model.intensity).toEqual(percentiles);
    expect(intensity).toBe("each volume's 0.5th–99.5th percentiles");
  }, 120_000);

  it('refuses another mapping than the backbone learnt with; from scratch, records the one asked for', async () => {
    const window = parseIntensitySpec('window:40,400') as IntensityMapping;
    await expect(finetune('seg-window', 'pre', { intensity: window })).rejects.toThrow(/does not match the model 'pre' starts from/);
    await finetune('seg-scratch', 'none', { intensity: window, size: 16, width: 2 });
    expect(meta('seg-scratch').intensity).toEqual(window);
    expect((await predictWith('seg-scratch')).request.model.intensity).toEqual(window);
  }, 120_000);

  it('a model made before the mapping existed keeps the stored values, labelled', async () => {
    const ws = Workspace.open(workspace, { create: false });
    try {
      const record = ws.getModel('seg')!;
      const { intensity: _intensity, ...old } = record.meta as Record<string, unknown>;
      ws.saveModel({ ...record, name: 'seg', meta: old });
    } finally {
      ws.close();
    }
    const { request, intensity } = await predictWith('seg');
    expect(request.model.intensity).toEqual({ kind: 'none' });
    expect(intensity).toMatch(/^none: stored values z-scored per slice/);
  }, 120_000);
});
