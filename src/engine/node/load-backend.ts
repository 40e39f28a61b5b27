import * as tf from '@tensorflow/tfjs-core';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { BackendChoice, BackendName } from '../../shared/job.ts';
import { describeAdapter, type GpuAdapterLike } from '../../shared/gpu-worker.ts';
import {
  AUTO_ORDER,
  type ActiveBackend,
  BackendUnavailableError,
  WASM_ACTIVATION_BUDGET,
  webgpuActivationBudget,
} from '../backends/backend-names.ts';
import { registerTrainingKernels } from '../backends/wasm-kernels/register.ts';

/**
 * Picks and initializes a tfjs backend under Node (DESIGN.md "Compute backends"):
 * tensorflow (tfjs-node-gpu, else tfjs-node) → webgpu (Dawn) → wasm → cpu. A backend named
 * explicitly must load or the command fails with what to install; under `auto` each
 * failure becomes a note and the next one is tried.
 */
const require = createRequire(import.meta.url);
const GiB = 1024 ** 3;

export interface LoadOptions {
  /** refuse software WebGPU adapters (lavapipe, SwiftShader) under auto; default true */
  log?: (line: string) => void;
}

export async function loadBackend(choice: BackendChoice, options: LoadOptions = {}): Promise<ActiveBackend> {
  if (choice !== 'auto') {
    const active = await tryBackend(choice, { explicit: true });
    if ('error' in active) throw new BackendUnavailableError(active.error);
    return active;
  }
  const notes: string[] = [];
  let softwareGpu: BackendName | null = null;
  for (const name of AUTO_ORDER) {
    if (name === 'cpu' && softwareGpu) {
      // A software WebGPU adapter still beats the pure-JS reference.
      const again = await tryBackend('webgpu', { explicit: true });
      if (!('error' in again)) return { ...again, notes: [...notes, ...again.notes] };
    }
    const result = await tryBackend(name, { explicit: false });
    if ('error' in result) {
      if (result.softwareOnly) softwareGpu = name;
      notes.push(result.error);
      options.log?.(`backend ${name} skipped: ${result.error}`);
      continue;
    }
    return { ...result, notes: [...notes, ...result.notes] };
  }
  throw new BackendUnavailableError(`no backend could start: ${notes.join('; ')}`);
}

type Attempt = ActiveBackend | { error: string; softwareOnly?: boolean };

async function tryBackend(name: BackendName, { explicit }: { explicit: boolean }): Promise<Attempt> {
  try {
    switch (name) {
      case 'tensorflow':
        return await loadTensorflow();
      case 'webgpu':
        return await loadWebgpu(explicit);
      case 'wasm':
        return await loadWasm();
      case 'cpu':
        return await loadCpu();
    }
  } catch (error) {
    return { error: `${name}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

async function activate(name: string): Promise<boolean> {
  if (tf.getBackend() === name) return true;
  return tf.setBackend(name);
}

async function loadCpu(): Promise<ActiveBackend> {
  await import('@tensorflow/tfjs-backend-cpu');
  if (!(await activate('cpu'))) throw new Error('the cpu backend did not initialize');
  return { name: 'cpu', description: 'cpu (pure JavaScript reference)', notes: [], software: true, maxActivationBytes: 6 * GiB };
}

async function loadWasm(): Promise<ActiveBackend> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // Node resolves the .wasm files next to the package's main file.
  const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  wasm.setWasmPaths(dir.endsWith(path.sep) ? dir : dir + path.sep);
  if (!(await activate('wasm'))) throw new Error('the wasm backend did not initialize');
  registerTrainingKernels('wasm', { heapKernels: true });
  // The wasm heap is capped at 4 GiB (DESIGN.md); weights, Adam's state and the gradients
  // live there too (20 bytes per parameter: 0.6 GB for the paper's U-Net), so a pass gets
  // 2 GiB: the paper's config (256², width 64) runs one image per pass.
  return { name: 'wasm', description: 'wasm (XNNPACK, SIMD)', notes: [], software: true, maxActivationBytes: WASM_ACTIVATION_BUDGET };
}

async function loadWebgpu(explicit: boolean): Promise<Attempt> {
  let webgpu: { create: (flags: string[]) => { requestAdapter(o?: object): Promise<GpuAdapterLike | null> }; globals: object };
  try {
    webgpu = (await import('webgpu')) as unknown as typeof webgpu;
  } catch (error) {
    return { error: `webgpu: the 'webgpu' package (Dawn for Node) did not load (${(error as Error).message}); run npm install` };
  }
  const g = globalThis as unknown as { navigator?: { gpu?: unknown } };
  let gpu = g.navigator?.gpu as ReturnType<typeof webgpu.create> | undefined;
  if (!gpu) {
    Object.assign(globalThis, webgpu.globals);
    gpu = webgpu.create([]);
    // Node 20 has no navigator; tfjs-backend-webgpu registers itself only when
    // navigator.gpu exists at import time, so this must precede the import below.
    if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    else (g.navigator as { gpu?: unknown }).gpu = gpu;
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    return {
      error:
        'webgpu: no WebGPU adapter (no Vulkan/Metal/D3D12 driver; on Linux without a GPU install Mesa lavapipe: scripts/install-lavapipe.sh)',
    };
  }
  const { label, software } = describeAdapter(adapter);
  if (software && !explicit)
    return { error: `webgpu: only a software adapter (${label}) is available, slower than wasm`, softwareOnly: true };
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await activate('webgpu'))) throw new Error(`the webgpu backend did not initialize on ${label}`);
  const notes = software ? [`webgpu is running on a software adapter (${label}), not a GPU`] : [];
  return {
    name: 'webgpu',
    description: `webgpu (${label}${software ? ', software' : ''})`,
    notes,
    software,
    maxActivationBytes: webgpuActivationBudget(software),
  };
}

async function loadTensorflow(): Promise<ActiveBackend> {
  const tried: string[] = [];
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await import(pkg);
    } catch (error) {
      tried.push(`${pkg} (${firstLine((error as Error).message)})`);
      continue;
    }
    if (!(await activate('tensorflow'))) throw new Error(`${pkg} loaded but its backend did not initialize`);
    const notes: string[] = [];
    const isGpuPackage = pkg.endsWith('-gpu');
    const usingGpu = (tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice;
    let description = `tensorflow (${pkg}, libtensorflow on CPU)`;
    let software = true;
    if (isGpuPackage) {
      const missing = missingCuda11Libraries();
      if (usingGpu === false || missing.length > 0) {
        notes.push(
          `libtensorflow runs on the CPU, not the GPU: it needs CUDA 11.2 and cuDNN 8.1${missing.length ? ` (not found: ${missing.join(', ')})` : ''}; install them or use --backend webgpu`,
        );
      } else {
        description = `tensorflow (${pkg}, GPU)`;
        software = false;
      }
    }
    return { name: 'tensorflow', description, notes, software, maxActivationBytes: (software ? 8 : 12) * GiB };
  }
  throw new Error(
    `neither is installed: ${tried.join('; ')}. Install one: npm install @tensorflow/tfjs-node-gpu (NVIDIA GPU with CUDA 11.2 + cuDNN 8.1) or npm install @tensorflow/tfjs-node`,
  );
}

/** Whether a native TensorFlow package is installed (without loading it). */
export function tensorflowInstalled(): boolean {
  return ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'].some((pkg) => {
    try {
      require.resolve(pkg);
      return true;
    } catch {
      return false;
    }
  });
}

/** libtensorflow 2.9 dlopens these; when they are absent it silently uses the CPU. */
export function missingCuda11Libraries(): string[] {
  if (process.platform !== 'linux') return [];
  const wanted = ['libcudart.so.11.0', 'libcudnn.so.8', 'libcublas.so.11'];
  let cache = '';
  try {
    cache = execFileSync('ldconfig', ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    cache = '';
  }
  const dirs = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  return wanted.filter((lib) => !cache.includes(lib) && !dirs.some((d) => existsSync(path.join(d, lib))));
}

function firstLine(text: string): string {
  return text.split('\n')[0];
}
