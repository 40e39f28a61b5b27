import type { BackendChoice } from '../../../shared/job.ts';
import { chooseMicroBatch } from '../../backends/backend-names.ts';
import { networkWeights } from '../../networks/network-weights.ts';
import { buildFinetuner, type FinetuneRequest, type PlacedFinetuner } from '../../segmentation/placed-finetuner.ts';
import { loadBackend } from '../load-backend.ts';

/** Places a fine-tuning run in this process, on the tfjs backend `choice` resolves to. */
export async function placeFinetuneLocally(choice: BackendChoice, request: FinetuneRequest): Promise<PlacedFinetuner> {
  const backend = await loadBackend(choice);
  const microBatch =
    request.microBatch ??
    chooseMicroBatch(
      request.batch,
      request.size,
      request.width,
      request.classes.length,
      backend.maxActivationBytes,
      request.network ?? 'unet',
    );
  const { net, trainer } = buildFinetuner(request, microBatch);
  return {
    backend,
    microBatch,
    stepsPerEpoch: trainer.stepsPerEpoch,
    run: (hooks) => trainer.run(hooks),
    weights: () => networkWeights(net),
    dispose: async () => {
      trainer.dispose();
      net.dispose();
    },
  };
}
