import type { Random } from '../random.ts';

/**
 * MoCo v2's augmentations as the paper adapts them to grayscale slices (Sec. 4.2: "we
 * therefore use random flipping and stochastic Gaussian blurring as proposed in MoCo V2"):
 * a horizontal flip with probability ½, then a Gaussian blur with probability ½ and σ
 * uniform in [0.1, 2.0] pixels at MoCo's 224-pixel crops, scaled to this slice size.
 * Plain typed arrays, drawn from a seeded generator: the same on every backend.
 */
export function mocoView(image: Float32Array, size: number, random: Random): Float32Array {
  let out = random.next() < 0.5 ? flipHorizontal(image, size) : image.slice();
  if (random.next() < 0.5) out = gaussianBlur(out, size, (0.1 + 1.9 * random.next()) * (size / 224));
  return out;
}

export function flipHorizontal(image: Float32Array, size: number): Float32Array {
  const out = new Float32Array(image.length);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) out[y * size + x] = image[y * size + size - 1 - x];
  return out;
}

/** Separable Gaussian blur (kernel radius ⌈3σ⌉, edges repeated). */
export function gaussianBlur(image: Float32Array, size: number, sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
  const sum = kernel.reduce((a, b) => a + b, 0);
  for (let i = 0; i < kernel.length; i++) kernel[i] /= sum;
  const clamp = (v: number) => (v < 0 ? 0 : v >= size ? size - 1 : v);
  const rows = new Float32Array(image.length);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let acc = 0;
      for (let i = -radius; i <= radius; i++) acc += kernel[i + radius] * image[y * size + clamp(x + i)];
      rows[y * size + x] = acc;
    }
  }
  const out = new Float32Array(image.length);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let acc = 0;
      for (let i = -radius; i <= radius; i++) acc += kernel[i + radius] * rows[clamp(y + i) * size + x];
      out[y * size + x] = acc;
    }
  }
  return out;
}
