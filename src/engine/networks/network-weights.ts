import type { TensorRecord } from '../train/ssmtl-trainer.ts';
import type { UNet } from './unet.ts';

/** The parameters of a network, in its order, read back from the backend. */
export async function networkWeights(net: UNet): Promise<TensorRecord[]> {
  const out: TensorRecord[] = [];
  for (const { name, variable } of net.params.entries)
    out.push({ name, shape: [...variable.shape], data: (await variable.data()) as Float32Array });
  return out;
}
