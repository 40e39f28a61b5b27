import type { BackendChoice, BackendName } from '../../shared/job.ts';
import { loadBackend } from './load-backend.ts';
import { withRandomDataTrainer, type RandomDataSetup } from './random-data-trainer.ts';

export interface StepTimingRequest {
  /** the workspace the estimate is for (job processes all name one; nothing is read from it) */
  workspace: string;
  setup: Omit<RandomDataSetup, 'size'>;
  /** the slice sides to time the step at, one after another */
  sizes: number[];
  backend: BackendChoice;
}

export interface StepTiming {
  /** one image forward and back, with the optimizer's update, at each of the sizes asked */
  secondsPerImage: number[];
  backend: BackendName;
  description: string;
  /** no GPU: wasm, cpu, or a software WebGPU/TensorFlow */
  software: boolean;
}

/**
 * Times one training step of a network on the compute a run would use, at each size
 * asked, after one warm-up step (the first allocates and compiles), on random data: what
 * a run of these settings would spend per image, without reading the workspace.
 */
export async function timeTrainingStep(request: StepTimingRequest): Promise<StepTiming> {
  const backend = await loadBackend(request.backend);
  const secondsPerImage: number[] = [];
  for (const size of request.sizes) {
    const setup = { ...request.setup, size };
    secondsPerImage.push(
      await withRandomDataTrainer(setup, backend, async ({ trainer }) => {
        await trainer.run({ maxSteps: 1 });
        const t0 = performance.now();
        await trainer.run({ maxSteps: 1 });
        return (performance.now() - t0) / 1000 / setup.batch;
      }),
    );
  }
  return { secondsPerImage, backend: backend.name, description: backend.description, software: backend.software };
}
