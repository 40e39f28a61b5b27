import type { TensorRecord } from '../train/ssmtl-trainer.ts';
import type { DenseNetwork } from './dense-network.ts';

/** The parameters and buffers (batch statistics) of a network, in its order, read back from the backend. */
export async function networkWeights(net: DenseNetwork): Promise<TensorRecord[]> {
  const out: TensorRecord[] = [];
  for (const { name, variable } of net.params.all)
    out.push({ name, shape: [...variable.shape], data: (await variable.data()) as Float32Array });
  return out;
}
