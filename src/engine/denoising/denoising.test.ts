import { beforeAll, describe, expect, it } from 'vitest';
import { createNetwork } from '../networks/create-network.ts';
import { loadBackend } from '../node/load-backend.ts';
import { syntheticVolume } from '../node/test-fixtures.ts';
import { Random } from '../random.ts';
import { FinetuneTrainer } from '../segmentation/finetune-trainer.ts';
import { DENOISING_HEAD, denoisingExample, denoisingObjective, denoisingPsnr, psnr } from './denoising-task.ts';
import { addSignalDependentNoise, robustRange, toUnitRange } from './noise-model.ts';

beforeAll(async () => {
  await loadBackend('wasm');
});

describe('denoising (paper Sec. 4.3, Table 6)', () => {
  it('adds zero-mean noise of variance a·y + b, the same for the same seed', () => {
    const noise = { a: 0.01, b: 0.001 };
    for (const y of [0.1, 0.8]) {
      const clean = new Float32Array(200_000).fill(y);
      const noisy = addSignalDependentNoise(clean, noise, new Random(1));
      let mean = 0;
      for (const v of noisy) mean += v - y;
      mean /= noisy.length;
      let variance = 0;
      for (const v of noisy) variance += (v - y - mean) ** 2;
      variance /= noisy.length;
      expect(Math.abs(mean)).toBeLessThan(1e-3);
      expect(variance / (noise.a * y + noise.b)).toBeCloseTo(1, 1);
    }
    const a = addSignalDependentNoise(new Float32Array(10).fill(0.5), noise, new Random(3));
    const b = addSignalDependentNoise(new Float32Array(10).fill(0.5), noise, new Random(3));
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it('PSNR is 10·log10(1/MSE) on the [0, 1] scale', () => {
    expect(psnr(0.01)).toBeCloseTo(20, 10);
    expect(psnr(1e-4)).toBeCloseTo(40, 10);
    const range = robustRange(Float32Array.from({ length: 1001 }, (_, i) => i - 500));
    expect(range.low).toBeCloseTo(-495, 0);
    expect(range.high).toBeCloseTo(495, 0);
    expect(Array.from(toUnitRange(Float32Array.from([-1000, 0, 1000]), range))).toEqual([0, 0.5, 1]);
  });

  it('a U-Net trained with the L1 loss restores noisy slices above the noisy input’s PSNR', async () => {
    const [slices, rows, cols, size] = [12, 32, 32, 32];
    const volume = syntheticVolume(slices, rows, cols, 1);
    const unit = toUnitRange(volume, robustRange(volume));
    const noise = { a: 0.02, b: 0.002 };
    const examples = Array.from({ length: slices }, (_, k) =>
      denoisingExample(unit.subarray(k * rows * cols, (k + 1) * rows * cols), rows, cols, size, noise, 0, `s:${k}`),
    );
    const net = createNetwork('unet', 4, [DENOISING_HEAD], 1);
    const trainer = new FinetuneTrainer(
      net,
      examples.slice(0, 8),
      { size, classes: 1, batch: 4, lr: 1e-3, seed: 0, epochs: 40, microBatch: 4 },
      denoisingObjective,
    );
    const result = await trainer.run();
    expect(result.perEpoch.at(-1)!).toBeLessThan(result.perEpoch[0]);
    const scored = await denoisingPsnr(net, examples.slice(8), size);
    trainer.dispose();
    net.dispose();
    expect(scored.perSlice).toHaveLength(4);
    expect(scored.psnr).toBeGreaterThan(scored.noisyPsnr);
  }, 120_000);
});
