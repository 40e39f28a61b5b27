import { beforeAll, describe, expect, it } from 'vitest';
import { InMemorySliceSource } from '../../data/slice-source.ts';
import { loadBackend } from '../../node/load-backend.ts';
import { syntheticVolume } from '../../node/test-fixtures.ts';
import { SsmtlTrainer, type SsmtlConfig, type TrainerSnapshot } from '../ssmtl-trainer.ts';
import type { MocoV2Method } from './mocov2.ts';

// CI size: ResNet50 at 64², width 2; a queue of 16 (the paper's is 1024).
const moco = { queue: 16, temperature: 0.2, momentum: 0.999 };
const config: SsmtlConfig = { method: 'mocov2', moco, ts: [], size: 64, width: 2, batch: 4, lr: 1e-3, seed: 5, epochs: 2, microBatch: 2 };

function source(): InMemorySliceSource {
  return new InMemorySliceSource().add('s1', 6, 64, 64, syntheticVolume(6, 64, 64, 1)).add('s2', 5, 64, 70, syntheticVolume(5, 64, 70, 2));
}

beforeAll(async () => {
  await loadBackend('wasm');
});

const valuesOf = async (method: MocoV2Method, set: 'params' | 'keyParams') =>
  Promise.all(method[set].entries.map(async (e) => Float32Array.from(await e.variable.data())));

describe('MoCo v2 (the paper’s baseline)', () => {
  it('takes every slice as an instance and reports InfoNCE', async () => {
    const trainer = new SsmtlTrainer(source(), config);
    expect(trainer.plan.anchors).toHaveLength(11);
    expect(trainer.heads).toEqual(['infonce']);
    const result = await trainer.run({ maxSteps: 2 });
    expect(result.steps).toBe(2);
    const method = trainer.method as MocoV2Method;
    expect(method.settings).toEqual(moco);
    // only the query encoder is kept, named as the ResNet50-FCN's encoder
    const kept = await trainer.weights();
    expect(kept.every((t) => t.name.startsWith('encoder.'))).toBe(true);
    expect(kept.some((t) => t.name === 'encoder.layer4.2.conv3.bn.runningVar')).toBe(true);
    trainer.dispose();
  });

  it('momentum update: after one step every key parameter is m·θk + (1 − m)·θq exactly (θq after the update)', async () => {
    const trainer = new SsmtlTrainer(source(), config);
    const method = trainer.method as MocoV2Method;
    const keysBefore = await valuesOf(method, 'keyParams');
    const queriesBefore = await valuesOf(method, 'params');
    keysBefore.forEach((k, i) => expect(k).toEqual(queriesBefore[i])); // the key encoder starts as a copy
    await trainer.run({ maxSteps: 1 });
    const queriesAfter = await valuesOf(method, 'params');
    const keysAfter = await valuesOf(method, 'keyParams');
    const m = Math.fround(0.999);
    const oneMinusM = Math.fround(1 - 0.999);
    let changed = 0;
    keysAfter.forEach((k, i) =>
      k.forEach((v, j) => {
        const expected = Math.fround(Math.fround(keysBefore[i][j] * m) + Math.fround(queriesAfter[i][j] * oneMinusM));
        if (v !== expected) throw new Error(`${method.keyParams.entries[i].name}[${j}]: ${v} ≠ ${expected}`);
        if (queriesAfter[i][j] !== queriesBefore[i][j]) changed++;
      }),
    );
    expect(changed).toBeGreaterThan(1000); // the query encoder did move: the test is not trivially satisfied
    trainer.dispose();
  });

  it('enqueues the batch’s keys (unit vectors) at the queue’s pointer after each step, wrapping around', async () => {
    const trainer = new SsmtlTrainer(source(), config);
    const method = trainer.method as MocoV2Method;
    const dim = method.dim;
    const before = Float32Array.from(await method.queue.keys.data());
    await trainer.run({ maxSteps: 1 });
    expect(method.queue.pointer).toBe(4);
    const after = Float32Array.from(await method.queue.keys.data());
    for (let r = 0; r < 16; r++) {
      const row = after.subarray(r * dim, (r + 1) * dim);
      if (r < 4) expect(Math.hypot(...row)).toBeCloseTo(1, 5);
      else expect(Array.from(row)).toEqual(Array.from(before.subarray(r * dim, (r + 1) * dim)));
    }
    await trainer.run({ maxSteps: 4 }); // 4 + 4 + 3 (end of epoch 1) + 4 + 4 = 19 keys: wrapped once
    expect(method.queue.pointer).toBe(19 % 16);
    trainer.dispose();
  });

  it('resumed from a checkpoint, ends bit-identical to an uninterrupted run (key encoder, queue and its pointer included)', async () => {
    const straight = new SsmtlTrainer(source(), config);
    const full = await straight.run();
    const fullWeights = await straight.weights();
    const fullQueue = Float32Array.from(await (straight.method as MocoV2Method).queue.keys.data());
    straight.dispose();

    const first = new SsmtlTrainer(source(), config);
    let snapshot: TrainerSnapshot | null = null;
    await first.run({ checkpointIntervalMs: 0, maxSteps: 2, onCheckpoint: async (s) => void (snapshot = s) });
    first.dispose();
    expect(snapshot!.methodState).toEqual({ queuePointer: 8 });
    const second = new SsmtlTrainer(source(), config);
    second.restore(snapshot!);
    const rest = await second.run();
    const resumed = await second.weights();
    const resumedQueue = Float32Array.from(await (second.method as MocoV2Method).queue.keys.data());
    second.dispose();
    expect(rest.perEpoch).toEqual(full.perEpoch);
    resumed.forEach((t, i) => expect(Array.from(t.data), t.name).toEqual(Array.from(fullWeights[i].data)));
    expect(Array.from(resumedQueue)).toEqual(Array.from(fullQueue));
  }, 120_000);
});
