import { getRenderingCapabilities } from '@cornerstonejs/core';
import { SCREEN_PIXEL_RATIO } from '../../app/screen-pixel-ratio.ts';

/**
 * Where WebGL is a software rasterizer (no GPU, or a blocked one: SwiftShader, llvmpipe),
 * every frame is rasterised on the CPU, and copying it to the viewport's canvas costs
 * about 0.3 µs per pixel: a full-screen viewport took 300–800 ms per slice and per brush
 * move on a 2-core workstation. Cornerstone sizes its canvases by window.devicePixelRatio
 * and converts every coordinate with it, so lowering the ratio it reads renders fewer
 * pixels (the browser scales the canvas up) with every tool still aligned. Scans are at
 * most 512 pixels across and the viewport magnifies them anyway, so half the screen's
 * resolution loses nothing of the image. With a GPU nothing changes.
 */
const SOFTWARE_RENDER_SCALE = 0.5;

let decided: boolean | null = null;

/** Call before Cornerstone creates a canvas; returns whether the resolution was lowered. */
export function limitSoftwareRenderResolution(): boolean {
  if (decided !== null) return decided;
  const capabilities = getRenderingCapabilities();
  decided = capabilities.webgl && capabilities.softwareRasterizer;
  if (decided) {
    const ratio = SCREEN_PIXEL_RATIO * SOFTWARE_RENDER_SCALE;
    Object.defineProperty(window, 'devicePixelRatio', { configurable: true, get: () => ratio });
    console.info(`viewer: ${capabilities.renderer} is a software rasterizer; rendering at ${ratio}× the CSS resolution`);
  }
  return decided;
}
