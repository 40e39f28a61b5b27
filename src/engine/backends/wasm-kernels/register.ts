import * as tf from '@tensorflow/tfjs-core';
import { CONV2D_FILTER_AND_BIAS_GRAD } from '../kernel-names.ts';
import { conv2dBackpropFilterAndBias, conv2dBackpropFilterMatmul } from './conv2d-backprop-filter.ts';
import { conv2dBackpropInputFast } from './conv2d-backprop-input.ts';
import { registerHeapCopies } from './heap-copies.ts';
import { registerMaxPoolGrad } from './max-pool-grad.ts';
import { replaceKernel } from './replace-kernel.ts';

/**
 * Makes a backend able to train conv nets fast: registers Conv2DBackpropFilter where it is
 * missing (wasm), with CONV2D_FILTER_AND_BIAS_GRAD beside it, and replaces Conv2DBackpropInput by the forward-conv / matmul form.
 * Idempotent. `replaceInput` is for backends whose own backprop-input is a slow loop;
 * `heapKernels` (wasm only) replaces Slice, SplitV, Concat, PadV2 and MaxPoolGrad by
 * JavaScript loops over the wasm heap, and makes Identity share memory instead of copying.
 */
const done = new Set<string>();

export function registerTrainingKernels(
  backendName: string,
  options: { replaceInput?: boolean; replaceFilter?: boolean; heapKernels?: boolean } = {},
): void {
  if (done.has(backendName)) return;
  done.add(backendName);
  if (options.heapKernels) {
    registerHeapCopies(backendName);
    registerMaxPoolGrad(backendName);
  }
  const filterKernel = tf.getKernel(tf.Conv2DBackpropFilter, backendName);
  if (!filterKernel || options.replaceFilter) {
    if (filterKernel) tf.unregisterKernel(tf.Conv2DBackpropFilter, backendName);
    tf.registerKernel({
      kernelName: tf.Conv2DBackpropFilter,
      backendName,
      kernelFunc: (args) => conv2dBackpropFilterMatmul(args as Parameters<typeof conv2dBackpropFilterMatmul>[0], backendName),
    });
    tf.registerKernel({
      kernelName: CONV2D_FILTER_AND_BIAS_GRAD,
      backendName,
      kernelFunc: (args) => conv2dBackpropFilterAndBias(args as Parameters<typeof conv2dBackpropFilterAndBias>[0], backendName),
    });
  }
  if (options.replaceInput ?? true) {
    const original = tf.getKernel(tf.Conv2DBackpropInput, backendName)?.kernelFunc;
    replaceKernel(tf.Conv2DBackpropInput, backendName, (args) =>
      conv2dBackpropInputFast(args as Parameters<typeof conv2dBackpropInputFast>[0], backendName, original),
    );
  }
}
