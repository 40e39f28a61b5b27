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

/** The largest micro-batch ≤ batch whose activations fit the budget (at least 1). */
export function chooseMicroBatch(
  batch: number,
  size: number,
  width: number,
  heads: number,
  budgetBytes: number,
  backbone: Backbone = 'unet',
): number {
  const per = backbone === 'unet' ? unetActivationBytesPerImage(size, width, heads) : resnetFcnActivationBytesPerImage(size, width, heads);
  return Math.max(1, Math.min(batch, Math.floor(budgetBytes / per)));
}

/** Activation memory a WebGPU training pass may use (Dawn under Node, or Chromium's in a worker). */
export function webgpuActivationBudget(software: boolean): number {
  return (software ? 2 : 6) * 1024 ** 3;
}
