/**
 * "Until convergence" (paper Sec. 4.3) without a knob to tune: training stops once the
 * epoch-mean training loss has not improved by at least `minImprovement` (relative) for
 * `patienceSteps` optimizer steps, or the loss is below `floor` (the annotated slices are
 * fit), or after `maxSteps`. Counted in steps, not epochs, so the rule behaves the same
 * for 5 annotated slices as for 500. There is no validation split: with a handful of
 * annotated slices every one of them is needed for training.
 */
export interface StoppingRuleConfig {
  patienceSteps: number;
  minImprovement: number;
  floor: number;
  minSteps: number;
  maxSteps: number;
}

export const DEFAULT_STOPPING_RULE: StoppingRuleConfig = {
  patienceSteps: 60,
  minImprovement: 0.02,
  floor: 0.01,
  minSteps: 40,
  maxSteps: 2000,
};

export type StopReason = 'converged' | 'fit' | 'max-steps';

export interface StoppingState {
  /** the loss at the last significant improvement, and the step it came at */
  reference: number;
  referenceStep: number;
}

export class StoppingRule {
  state: StoppingState = { reference: Infinity, referenceStep: 0 };

  constructor(readonly config: StoppingRuleConfig = DEFAULT_STOPPING_RULE) {}

  /** After an epoch ending at `step` (optimizer steps so far) with mean loss `loss`: stop, and why? */
  update(loss: number, step: number): StopReason | null {
    // Measured against the loss at the last significant improvement, not the running best:
    // a slow, steady decrease adds up to a significant one and keeps training going.
    if (loss < this.state.reference * (1 - this.config.minImprovement)) this.state = { reference: loss, referenceStep: step };
    if (step >= this.config.maxSteps) return 'max-steps';
    if (step < this.config.minSteps) return null;
    if (loss < this.config.floor) return 'fit';
    if (step - this.state.referenceStep >= this.config.patienceSteps) return 'converged';
    return null;
  }
}
