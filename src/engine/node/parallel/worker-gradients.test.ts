import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemorySliceSource } from '../../data/slice-source.ts';
import { SsmtlTrainer, type SsmtlConfig } from '../../train/ssmtl-trainer.ts';
import { loadBackend } from '../load-backend.ts';
import { syntheticVolume } from '../test-fixtures.ts';
import { WorkerGradients } from './worker-gradients.ts';

const config: SsmtlConfig = { ts: [2], size: 32, width: 4, batch: 7, lr: 1e-3, seed: 1, epochs: 2, microBatch: 7 };
const source = () => new InMemorySliceSource().add('s', 20, 32, 32, syntheticVolume(20, 32, 32, 4));
let workers: WorkerGradients;

beforeAll(async () => {
  await loadBackend('wasm');
  workers = new WorkerGradients(2, { backend: 'wasm', width: 4, heads: ['t2-', 't2+'], size: 32, microBatch: 7 });
});
afterAll(async () => {
  await workers.dispose();
});

describe('data-parallel gradient workers', () => {
  it('train like one process (same losses and weights up to float rounding), and deterministically', async () => {
    const single = new SsmtlTrainer(source(), config);
    const a = await single.run();
    const wa = await single.net.params.get('down1.conv2.w').data();
    single.dispose();
    const runParallel = async () => {
      const t = new SsmtlTrainer(source(), config, { parallel: workers });
      const r = await t.run();
      const w = await t.net.params.get('down1.conv2.w').data();
      t.dispose();
      return { r, w };
    };
    const b = await runParallel();
    const c = await runParallel();
    b.r.perEpoch.forEach((v, i) => expect(v).toBeCloseTo(a.perEpoch[i], 4));
    let maxDiff = 0;
    wa.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - b.w[i]))));
    expect(maxDiff).toBeLessThan(1e-4);
    expect(c.r.perEpoch).toEqual(b.r.perEpoch);
    expect(Array.from(c.w)).toEqual(Array.from(b.w));
  }, 60_000);
});

describe('default worker count', () => {
  it('uses idle cores on wasm for big enough models only', () => {
    expect(WorkerGradients.defaultWorkers('wasm', 2, 128, 16, 0.1)).toBe(2);
    expect(WorkerGradients.defaultWorkers('wasm', 2, 128, 16, 4.5)).toBe(1);
    expect(WorkerGradients.defaultWorkers('wasm', 8, 256, 64, 2)).toBe(6);
    expect(WorkerGradients.defaultWorkers('wasm', 2, 32, 4, 0)).toBe(1);
    expect(WorkerGradients.defaultWorkers('webgpu', 8, 256, 64, 0)).toBe(1);
  });
});
