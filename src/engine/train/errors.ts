/** The loss became NaN or infinite: the update was not applied, the weights are the last good ones. */
export class NonFiniteLossError extends Error {
  override readonly name = 'NonFiniteLossError';
  constructor(
    readonly epoch: number,
    readonly step: number,
    readonly headLosses: Record<string, number>,
  ) {
    super(
      `loss became non-finite at epoch ${epoch + 1}, step ${step + 1} (per head: ${Object.entries(headLosses)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}); training stopped, the last good checkpoint is kept — try a lower --lr`,
    );
  }
}

/** The data cannot train anything (no usable series): the user must act. */
export class NoTrainingDataError extends Error {
  override readonly name = 'NoTrainingDataError';
}
