/**
 * The screen's own device pixel ratio, read when the page loads: the viewer may lower the
 * one Cornerstone reads (viewer/cornerstone/render-resolution.ts), and charts and anything
 * else drawn on a canvas keep the screen's.
 */
export const SCREEN_PIXEL_RATIO = typeof window === 'undefined' ? 1 : window.devicePixelRatio || 1;
