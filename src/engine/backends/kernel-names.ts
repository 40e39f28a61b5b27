/**
 * Kernels the project adds to tfjs (registered per backend by backends/wasm-kernels); a
 * caller checks `tf.getKernel(name, tf.getBackend())` and otherwise uses tfjs's own.
 */

/** inputs {x, dy}, the attributes of Conv2DBackpropFilter; outputs [dW, Σ_{n,h,w} dy] */
export const CONV2D_FILTER_AND_BIAS_GRAD = 'SsmtlConv2DBackpropFilterAndBias';
