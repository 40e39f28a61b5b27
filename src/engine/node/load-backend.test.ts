import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, chooseMicroBatch } from '../backends/backend-names.ts';
import { describeAdapter } from '../../shared/gpu-worker.ts';
import { loadBackend, missingCuda11Libraries } from './load-backend.ts';

describe('backend loading', () => {
  it('recognizes software WebGPU adapters (lavapipe, SwiftShader) and real ones', () => {
    expect(
      describeAdapter({
        info: {
          vendor: 'mesa',
          architecture: 'software',
          device: 'llvmpipe',
          description: 'llvmpipe: Mesa 25.0.7',
          isFallbackAdapter: true,
        },
      }).software,
    ).toBe(true);
    expect(describeAdapter({ info: { vendor: 'google', description: 'SwiftShader Device (Subzero)' } }).software).toBe(true);
    expect(describeAdapter({ info: { vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100 80GB HBM3' } })).toEqual({
      label: 'NVIDIA H100 80GB HBM3',
      software: false,
    });
  });

  it('auto never settles for a software GPU adapter while wasm works, and says why it skipped the others', async () => {
    const active = await loadBackend('auto');
    if (active.name === 'webgpu') expect(active.software).toBe(false);
    if (active.name === 'wasm') expect(active.notes.some((n) => /tensorflow/.test(n))).toBe(true);
  });

  it('names what to install when the tensorflow backend is asked for and missing', async () => {
    const error = await loadBackend('tensorflow').catch((e: unknown) => e);
    if (error instanceof BackendUnavailableError)
      expect(error.message).toMatch(/npm install @tensorflow\/tfjs-node-gpu .*CUDA 11\.2.*or npm install @tensorflow\/tfjs-node/);
  });

  it('lists the CUDA 11 libraries libtensorflow would silently miss', () => {
    const missing = missingCuda11Libraries();
    expect(Array.isArray(missing)).toBe(true);
    for (const lib of missing) expect(lib).toMatch(/^lib(cudart|cudnn|cublas)\.so/);
  });

  it('shrinks the micro-batch to fit the paper configuration in a wasm heap', () => {
    expect(chooseMicroBatch(16, 256, 64, 2, 1.5 * 1024 ** 3)).toBeLessThan(16);
    expect(chooseMicroBatch(16, 256, 64, 2, 1.5 * 1024 ** 3)).toBeGreaterThanOrEqual(1);
    expect(chooseMicroBatch(16, 32, 4, 2, 1.5 * 1024 ** 3)).toBe(16);
  });

  it('keeps a U-Net pass on a CPU backend to about a second, so pause and cancel act soon; GPUs and batch statistics untouched', () => {
    const GiB = 1024 ** 3;
    // 128², width 16: 4.7 GFLOP per image, about 5 per second on wasm
    expect(chooseMicroBatch(16, 128, 16, 2, 2 * GiB, 'unet', 'wasm')).toBe(5);
    expect(chooseMicroBatch(16, 128, 16, 2, 2 * GiB, 'unet', 'webgpu')).toBe(16);
    expect(chooseMicroBatch(16, 256, 64, 2, 2 * GiB, 'unet', 'wasm')).toBe(1);
    // the ResNet50-FCN's batch normalization would see other groups: memory alone decides
    expect(chooseMicroBatch(16, 128, 16, 2, 2 * GiB, 'resnet50-fcn', 'wasm')).toBe(16);
  });
});
