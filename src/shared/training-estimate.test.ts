import { describe, expect, it } from 'vitest';
import { estimateWords, formatDuration, type TrainingEstimate } from './training-estimate.ts';

const estimate = (seconds: number, onCpu = true): TrainingEstimate => ({
  seconds,
  secondsPerStep: 1,
  stepsPerEpoch: 100,
  onCpu,
  compute: 'wasm (XNNPACK, SIMD)',
});

describe("the Pre-train form's estimate", () => {
  it('warns when a run takes hours, and says what to change', () => {
    expect(estimateWords(estimate(3 * 3600 + 200))).toEqual({
      text: "About 3 h on this computer's CPU. Consider fewer epochs, a smaller image size, or the GPU.",
      long: true,
    });
    expect(estimateWords(estimate(5 * 3600, false))).toEqual({
      text: 'About 5 h on the GPU. Consider fewer epochs or a smaller image size.',
      long: true,
    });
  });

  it('only informs when a run takes minutes', () => {
    expect(estimateWords(estimate(12 * 60))).toEqual({ text: "About 12 min on this computer's CPU.", long: false });
  });

  it('reads as a person would say it', () => {
    expect([30, 600, 3600, 1.4 * 3600, 30 * 3600, 9 * 86400].map(formatDuration)).toEqual([
      '30 s',
      '10 min',
      '1 h',
      '1.5 h',
      '30 h',
      '9 days',
    ]);
  });
});
