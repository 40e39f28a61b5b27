import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { InMemorySliceSource } from '../data/slice-source.ts';
import { loadBackend } from '../node/load-backend.ts';
import { syntheticVolume } from '../node/test-fixtures.ts';
import { SsmtlTrainer, type SsmtlConfig } from './ssmtl-trainer.ts';

/**
 * Memory stays bounded over a long run: after the first epoch, every epoch of every method
 * ends with exactly the same tensors alive (a leak of one tensor a step would grow without
 * end over a run of hundreds of epochs) and the process's resident memory stops growing.
 */
const EPOCHS = 20;

function source(size: number): InMemorySliceSource {
  return new InMemorySliceSource()
    .add('s1', 8, size, size, syntheticVolume(8, size, size, 1))
    .add('s2', 7, size, size + 6, syntheticVolume(7, size, size + 6, 2));
}

const CONFIGS: [string, SsmtlConfig][] = [
  ['SSMTL on the U-Net', { ts: [2], size: 32, width: 4, batch: 4, lr: 1e-3, seed: 1, epochs: EPOCHS, microBatch: 2 }],
  [
    'SSMTL+ on the ResNet50-FCN',
    { method: 'ssmtl+', backbone: 'resnet50-fcn', ts: [2], size: 64, width: 2, batch: 4, lr: 1e-3, seed: 1, epochs: EPOCHS, microBatch: 2 },
  ],
  [
    'MoCo v2 on the ResNet50-FCN',
    {
      method: 'mocov2',
      moco: { queue: 16, temperature: 0.2, momentum: 0.999 },
      ts: [],
      size: 64,
      width: 2,
      batch: 4,
      lr: 1e-3,
      seed: 1,
      epochs: EPOCHS,
      microBatch: 2,
    },
  ],
];

beforeAll(async () => {
  await loadBackend('wasm');
});

describe(`memory over ${EPOCHS} epochs`, () => {
  for (const [name, config] of CONFIGS) {
    it(`${name}: the same tensors alive after every epoch, resident memory flat`, async () => {
      const trainer = new SsmtlTrainer(source(config.size), config);
      const perEpoch: { tensors: number; bytes: number; rss: number }[] = [];
      const result = await trainer.run({
        onEvent: (event) => {
          if (event.type !== 'epoch') return;
          const { numTensors, numBytes } = tf.memory();
          perEpoch.push({ tensors: numTensors, bytes: numBytes, rss: process.memoryUsage().rss });
        },
      });
      trainer.dispose();
      expect(result.status).toBe('done');
      expect(perEpoch).toHaveLength(EPOCHS);
      for (const epoch of perEpoch.slice(1)) {
        expect(epoch.tensors).toBe(perEpoch[0].tensors);
        expect(epoch.bytes).toBe(perEpoch[0].bytes);
      }
      // Resident memory may settle during the first epochs (wasm heap growth, JIT); after that
      // it must not creep. The margin is what the allocator's and GC's own swings take.
      const settled = perEpoch[4].rss;
      const last = perEpoch.at(-1)!.rss;
      expect((last - settled) / 2 ** 20).toBeLessThan(48);
    }, 300_000);
  }
});
