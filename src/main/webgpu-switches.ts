/**
 * Chromium switches that give WebGPU an adapter, per platform, set before the app is
 * ready. Electron exposes WebGPU by default on Windows (D3D12) and macOS (Metal); on
 * Linux Chromium still keeps it behind `enable-unsafe-webgpu` and needs its Vulkan
 * backend turned on, or the hidden GPU window finds no adapter and training quietly
 * stays on the CPU. tests/e2e/gpu-worker.e2e.test.ts starts Debian's Chromium with the
 * same Linux switches.
 */
export type Switch = readonly [name: string, value?: string];

const LINUX: readonly Switch[] = [['enable-unsafe-webgpu'], ['enable-features', 'Vulkan']];

export function webGpuSwitches(platform: NodeJS.Platform): readonly Switch[] {
  return platform === 'linux' ? LINUX : [];
}

/** The same switches as command-line arguments (`--name` or `--name=value`). */
export function asArguments(switches: readonly Switch[]): string[] {
  return switches.map(([name, value]) => (value === undefined ? `--${name}` : `--${name}=${value}`));
}
