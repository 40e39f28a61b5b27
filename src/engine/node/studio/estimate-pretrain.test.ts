import { describe, expect, it } from 'vitest';
import { fitStepCost } from './estimate-pretrain.ts';

describe("a training step's cost, from one-image steps timed at two small sizes", () => {
  it("separates the optimizer's fixed part from the part that grows with the pixels", () => {
    // 7.5 s per update + 0.2 ms per pixel: 32 px → 7.7048 s, 64 px → 8.3192 s.
    const at = (s: number) => 7.5 + 2e-4 * s * s;
    const cost = fitStepCost([32, 64], [at(32), at(64)]);
    expect(cost.fixedSeconds).toBeCloseTo(7.5, 6);
    expect(cost.secondsPerPixel).toBeCloseTo(2e-4, 9);
  });

  it('counts all of it per pixel when noise hides the growth (the longer estimate)', () => {
    expect(fitStepCost([32, 64], [0.6, 0.5])).toEqual({ fixedSeconds: 0, secondsPerPixel: 0.5 / 4096 });
  });
});
