import { describe, expect, it } from 'vitest';
import { StoppingRule } from './stopping-rule.ts';

const config = { patienceSteps: 10, minImprovement: 0.02, floor: 0.01, minSteps: 5, maxSteps: 1000 };

describe('StoppingRule', () => {
  it('keeps going while the loss falls slowly but steadily (1% per step adds up)', () => {
    const rule = new StoppingRule(config);
    let loss = 1;
    for (let step = 1; step <= 200; step++) {
      loss *= 0.99;
      expect(rule.update(loss, step)).toBeNull();
    }
  });

  it('stops on a plateau after the patience', () => {
    const rule = new StoppingRule(config);
    const stops: (string | null)[] = [];
    for (let step = 1; step <= 40; step++) stops.push(rule.update(step < 10 ? 1 / step : 0.1, step));
    // the last significant improvement is step 10 (0.1 < 0.98 · 1/9); the stop comes 10 steps later, at step 20
    expect(stops.indexOf('converged') + 1).toBe(20);
  });

  it('stops when the training slices are fit, or at the step budget', () => {
    expect(new StoppingRule(config).update(0.005, 6)).toBe('fit');
    expect(new StoppingRule(config).update(0.005, 3)).toBeNull();
    expect(new StoppingRule(config).update(0.5, 1000)).toBe('max-steps');
  });
});
