import type { Backbone, BackendChoice, BackendName } from '../../shared/job.ts';

/** DESIGN.md "Compute backends": the order `auto` tries them in, fastest first. */
export const AUTO_ORDER: BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];
export const BACKEND_CHOICES: BackendChoice[] = ['auto', ...AUTO_ORDER];

export function isBackendChoice(value: string): value is BackendChoice {
  return (BACKEND_CHOICES as string[]).includes(value);
}

/** What the engine got, and anything the user should know about it. */
export interface ActiveBackend {
  name: BackendName;
  /** e.g. "webgpu (llvmpipe: Mesa 25.0.7, software)" */
  description: string;
  /** e.g. "no GPU adapter; using wasm" */
  notes: string[];
  /** a software rasterizer / CPU fallback standing in for a GPU */
  software: boolean;
  /** images per forward/backward pass that fit this backend's memory at a given config */
  maxActivationBytes: number;
}

/** A backend was asked for by name and cannot run: the message says what to install. */
export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
}

/**
 * Bytes of memory a training step needs per image of the U-Net at this size and width:
 * the activations kept for the backward pass plus the backward pass's own temporaries,
 * summed over the levels (each level has a quarter of the pixels and twice the channels).
 * Calibrated on the wasm heap: 133 MB per image at 128², width 32 (its growth from 4 to
 * 12 images per pass), i.e. about 34 float maps of size² × width per level.
 */
export function unetActivationBytesPerImage(size: number, width: number, heads: number): number {
  let perPixelChannels = 0;
  for (let level = 0; level <= 4; level++) perPixelChannels += (34 * width * 2 ** level) / 4 ** level;
  return size * size * 4 * (perPixelChannels + 8 * heads + 4);
}

/**
 * The same for the ResNet50-FCN: per bottleneck of m middle channels (4m out) about 16m
 * float maps are kept at its resolution (each convolution's output before and after batch
 * normalization, the sum and its ReLU, the down-sampling branch), which adds up to about
 * 8.8·width maps of the input's size over the encoder and the decoder; twice that with the
 * backward pass's temporaries, plus the full-resolution heads.
 */
export function resnetFcnActivationBytesPerImage(size: number, width: number, heads: number): number {
  const blocks = [3, 4, 6, 3];
  let perPixelChannels = (2 * width) / 4 + width / 16; // stem at s/2, max-pool at s/4
  blocks.forEach((n, level) => {
    const mid = width * 2 ** level;
    const pixels = 1 / 4 ** (level + 2); // layer1 at s/4, then halving
    perPixelChannels += (n * 16 * mid + 8 * mid) * pixels;
  });
  perPixelChannels += (3 * 8 * width + 2 * 4 * width) / 64; // decoder at s/8
  return size * size * 4 * (2 * perPixelChannels + 8 * heads + 4);
}

/** Floating-point operations of one U-Net training pass per image (forward and backward ≈ 3 × the forward's 2·MACs). */
export function unetTrainingFlopsPerImage(size: number, width: number): number {
  let macs = 0;
  for (let level = 0; level <= 4; level++) {
    const c = width * 2 ** level;
    const pixels = (size / 2 ** level) ** 2;
    macs += pixels * 9 * (level === 0 ? 1 : c / 2) * c + pixels * 9 * c * c; // two 3×3 convs down
    if (level < 4) macs += pixels * (4 * c * c + 9 * 2 * c * c + 9 * c * c); // up-conv and two 3×3 convs up
  }
  return 6 * macs;
}

/**
 * Sustained training throughput of the CPU backends on this project's kernels (bench/README.md:
 * wasm about 27 GFLOP/s per thread on AVX-512, the pure-JS cpu backend 20–70× less). GPUs: no bound.
 */
const CPU_FLOPS: Partial<Record<BackendName, number>> = { wasm: 25e9, cpu: 0.5e9 };

/**
 * Pause and cancel are obeyed between micro-batches, so on the CPU backends a U-Net pass is
 * kept to about a second of work. Only for the U-Net: it has no batch statistics, so the
 * micro-batch changes nothing but the order of a sum; the ResNet50-FCN's batch
 * normalization would see other groups of images. Derived from the backend, not from a
 * timing, so a run is the same on any machine with the same backend.
 */
export function responsiveMicroBatch(backend: BackendName | undefined, size: number, width: number, seconds = 1): number {
  const rate = backend ? CPU_FLOPS[backend] : undefined;
  if (!rate) return Infinity;
  return Math.max(1, Math.floor((rate * seconds) / unetTrainingFlopsPerImage(size, width)));
}

/**
 * The largest micro-batch ≤ batch whose activations fit the budget (at least 1); for the
 * U-Net on a CPU backend (`backend`) also one that keeps a pass to about a second.
 */
export function chooseMicroBatch(
  batch: number,
  size: number,
  width: number,
  heads: number,
  budgetBytes: number,
  backbone: Backbone = 'unet',
  backend?: BackendName,
): number {
  const per = backbone === 'unet' ? unetActivationBytesPerImage(size, width, heads) : resnetFcnActivationBytesPerImage(size, width, heads);
  const responsive = backbone === 'unet' ? responsiveMicroBatch(backend, size, width) : Infinity;
  return Math.max(1, Math.min(batch, Math.floor(budgetBytes / per), responsive));
}

/** Activation memory a training pass may use on the wasm backend (its heap also holds the weights and Adam's state). */
export const WASM_ACTIVATION_BUDGET = 2 * 1024 ** 3;

/** Activation memory a WebGPU training pass may use (Dawn under Node, or Chromium's in a worker). */
export function webgpuActivationBudget(software: boolean): number {
  return (software ? 2 : 6) * 1024 ** 3;
}
