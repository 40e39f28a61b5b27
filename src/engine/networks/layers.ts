import * as tf from '@tensorflow/tfjs-core';
import { CONV2D_FILTER_AND_BIAS_GRAD } from '../backends/kernel-names.ts';
import '../gradients.ts';

/**
 * conv2d ('same', stride 1) + bias + ReLU as one differentiable op. tfjs's fused.conv2d
 * refuses to fuse under a gradient tape when an activation is present, which costs three
 * kernels and two extra activations per layer; the ReLU derivative only needs the output
 * (dy·[y > 0]), so the fused forward is safe to differentiate.
 */
export function conv2dBiasRelu(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D): tf.Tensor4D {
  const op = tf.customGrad(((...args: unknown[]) => {
    const [input, w, b, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D, (tensors: tf.Tensor[]) => void];
    // The FusedConv2D kernel directly: tf.fused.conv2d would split it into three kernels here.
    const y = tf.engine().runKernel(tf.FusedConv2D, { x: input, filter: w, bias: b }, {
      strides: [1, 1],
      pad: 'same',
      dataFormat: 'NHWC',
      dilations: [1, 1],
      dimRoundingMode: undefined,
      activation: 'relu',
    } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
    save([input, w, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws, ys] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
        const dyAct = tf.mul(dy, tf.step(ys)) as tf.Tensor4D;
        const engine = tf.engine();
        const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined };
        const dx = engine.runKernel(tf.Conv2DBackpropInput, { dy: dyAct, filter: ws }, {
          ...attrs,
          inputShape: xs.shape,
        } as unknown as tf.NamedAttrMap) as tf.Tensor;
        const filterAttrs = { ...attrs, filterShape: ws.shape } as unknown as tf.NamedAttrMap;
        // Where the backend has it, the filter and bias gradients come from one kernel.
        if (tf.getKernel(CONV2D_FILTER_AND_BIAS_GRAD, tf.getBackend())) {
          const [dw, db] = engine.runKernel(CONV2D_FILTER_AND_BIAS_GRAD, { x: xs, dy: dyAct }, filterAttrs) as tf.Tensor[];
          return [dx, dw, db];
        }
        const dw = engine.runKernel(tf.Conv2DBackpropFilter, { x: xs, dy: dyAct }, filterAttrs) as tf.Tensor;
        const db = tf.sum(dyAct, [0, 1, 2]);
        return [dx, dw, db];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x, filter, bias) as tf.Tensor4D;
}
