/**
 * How long a pre-training would take on the compute it would run on, from one timed
 * training step (the engine's estimatePretrain), and the words the Pre-train form shows.
 */
export interface TrainingEstimate {
  /** the whole run, every epoch */
  seconds: number;
  /** one step of the run's batch at its size (from the steps timed) */
  secondsPerStep: number;
  /** steps per epoch (the anchors of the chosen series, a batch a step) */
  stepsPerEpoch: number;
  /** whether the step ran on a processor (wasm, cpu, software WebGPU/TensorFlow) rather than a GPU */
  onCpu: boolean;
  /** the engine's words for the compute, e.g. "wasm (XNNPACK, SIMD)" */
  compute: string;
}

/** From this long on, the form warns before starting. */
export const LONG_RUN_SECONDS = 3600;

export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 3570) return `${Math.round(seconds / 60)} min`;
  const hours = seconds / 3600;
  if (hours < 48) return `${hours < 10 ? Math.round(hours * 2) / 2 : Math.round(hours)} h`;
  return `${Math.round(hours / 24)} days`;
}

/** "About 3 h on this computer's CPU. Consider fewer epochs or the GPU." (the advice only for hours). */
export function estimateWords(estimate: TrainingEstimate): { text: string; long: boolean } {
  const where = estimate.onCpu ? "this computer's CPU" : 'the GPU';
  const long = estimate.seconds >= LONG_RUN_SECONDS;
  const advice = !long
    ? ''
    : estimate.onCpu
      ? ' Consider fewer epochs, a smaller image size, or the GPU.'
      : ' Consider fewer epochs or a smaller image size.';
  return { text: `About ${formatDuration(estimate.seconds)} on ${where}.${advice}`, long };
}
