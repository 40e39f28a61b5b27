import * as tf from '@tensorflow/tfjs-core';

type KernelArgs = Parameters<tf.KernelFunc>[0];
type KernelResult = tf.TensorInfo | tf.TensorInfo[];

/**
 * Registers `kernelFunc` for `kernelName` on `backendName` in place of the backend's own
 * kernel, which it is handed (`original`) for the inputs it leaves to it.
 */
export function replaceKernel(
  kernelName: string,
  backendName: string,
  kernelFunc: (args: KernelArgs, original: (args: KernelArgs) => KernelResult) => KernelResult,
): void {
  const own = (tf.getKernel(kernelName, backendName) as tf.KernelConfig | undefined)?.kernelFunc;
  if (own) tf.unregisterKernel(kernelName, backendName);
  const original = (args: KernelArgs): KernelResult => {
    if (!own) throw new Error(`${backendName}: ${kernelName} for this input is not supported`);
    return own(args) as KernelResult;
  };
  tf.registerKernel({ kernelName, backendName, kernelFunc: (args) => kernelFunc(args, original) });
}
