import * as tf from '@tensorflow/tfjs-core';

/**
 * Gradient functions for the kernels the engine differentiates through. tfjs-core ships
 * its gradient registrations only as ES modules that Node cannot load (extension-less
 * imports), and tfjs-layers — which would register them — is not a dependency. Each is
 * the textbook derivative, as in tfjs-core's own gradients; one that is already registered
 * (e.g. by a bundle that loaded tfjs-core's) is left alone.
 */
const { backend_util, util } = tf;

function reduceTo(res: tf.Tensor, shape: number[], outShape: number[]): tf.Tensor {
  const axes = backend_util.getReductionAxes(shape, outShape);
  return tf.reshape(axes.length > 0 ? tf.sum(res, axes) : res, shape);
}

function runKernel(name: string, inputs: tf.NamedTensorMap, attrs: object): tf.Tensor {
  return tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}

type Attrs = Record<string, unknown>;

const configs: tf.GradConfig[] = [
  {
    kernelName: tf.Add,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved;
      const out = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      return { a: () => reduceTo(dy as tf.Tensor, a.shape, out), b: () => reduceTo(dy as tf.Tensor, b.shape, out) };
    },
  },
  {
    kernelName: tf.Sub,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved;
      const out = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      return { a: () => reduceTo(dy as tf.Tensor, a.shape, out), b: () => tf.neg(reduceTo(dy as tf.Tensor, b.shape, out)) };
    },
  },
  {
    kernelName: tf.Multiply,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved;
      const out = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      return {
        a: () => reduceTo(tf.mul(dy as tf.Tensor, tf.cast(b, 'float32')), a.shape, out),
        b: () => reduceTo(tf.mul(dy as tf.Tensor, tf.cast(a, 'float32')), b.shape, out),
      };
    },
  },
  {
    kernelName: tf.SquaredDifference,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved;
      return { a: () => tf.mul(dy as tf.Tensor, tf.mul(2, tf.sub(a, b))), b: () => tf.mul(dy as tf.Tensor, tf.mul(2, tf.sub(b, a))) };
    },
  },
  {
    kernelName: tf.Mean,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const axes = util.parseAxisParam((attrs as Attrs).axis as number[], x.shape);
      const expanded = x.shape.slice();
      let count = 1;
      for (const axis of axes) {
        expanded[axis] = 1;
        count *= x.shape[axis];
      }
      return { x: () => tf.div(tf.mul(tf.reshape(dy as tf.Tensor, expanded), tf.ones(x.shape, 'float32')), count) };
    },
  },
  {
    kernelName: tf.Sum,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const axes = util.parseAxisParam((attrs as Attrs).axis as number[], x.shape);
      const expanded = x.shape.slice();
      for (const axis of axes) expanded[axis] = 1;
      return { x: () => tf.mul(tf.reshape(dy as tf.Tensor, expanded), tf.ones(x.shape, 'float32')) };
    },
  },
  {
    kernelName: tf.Square,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => tf.mul(dy as tf.Tensor, tf.mul(tf.cast(saved[0], 'float32'), 2)) }),
  },
  {
    kernelName: tf.RealDiv,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved;
      const out = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      return {
        a: () => reduceTo(tf.div(dy as tf.Tensor, b), a.shape, out),
        b: () => reduceTo(tf.neg(tf.div(tf.mul(dy as tf.Tensor, a), tf.square(b))), b.shape, out),
      };
    },
  },
  {
    kernelName: tf.Sqrt,
    outputsToSave: [true],
    gradFunc: (dy, saved) => ({ x: () => tf.div(dy as tf.Tensor, tf.mul(saved[0], 2)) }),
  },
  {
    kernelName: tf.Neg,
    gradFunc: (dy) => ({ x: () => tf.neg(dy as tf.Tensor) }),
  },
  {
    kernelName: tf.Reshape,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => tf.reshape(dy as tf.Tensor, saved[0].shape) }),
  },
  {
    kernelName: tf.Cast,
    gradFunc: (dy) => ({ x: () => (dy as tf.Tensor).clone() }),
  },
  {
    kernelName: tf.Identity,
    gradFunc: (dy) => ({ x: () => tf.cast(dy as tf.Tensor, 'float32') }),
  },
  {
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => tf.mul(dy as tf.Tensor, tf.cast(tf.step(saved[0]), 'float32')) }),
  },
  {
    kernelName: tf.MaxPool,
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, y] = saved;
      const { filterSize, strides, pad, dimRoundingMode } = attrs as Attrs;
      return {
        x: () => runKernel(tf.MaxPoolGrad, { dy: dy as tf.Tensor, input: x, output: y }, { filterSize, strides, pad, dimRoundingMode }),
      };
    },
  },
  {
    kernelName: tf.Concat,
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const axis = util.parseAxisParam((attrs as Attrs).axis as number, saved[0].shape)[0];
      const parts = tf.split(
        dy as tf.Tensor,
        saved.map((t) => t.shape[axis]),
        axis,
      );
      return parts.map((t) => () => t) as unknown as Record<string, () => tf.Tensor>;
    },
  },
  {
    kernelName: tf.Conv2D,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved;
      const { strides, pad, dataFormat, dimRoundingMode } = attrs as Attrs;
      return {
        x: () =>
          runKernel(
            tf.Conv2DBackpropInput,
            { dy: dy as tf.Tensor, filter },
            { strides, pad, dataFormat, dimRoundingMode, inputShape: x.shape },
          ),
        filter: () =>
          runKernel(
            tf.Conv2DBackpropFilter,
            { x, dy: dy as tf.Tensor },
            { strides, pad, dataFormat, dimRoundingMode, filterShape: filter.shape },
          ),
      };
    },
  },
  {
    kernelName: tf.Conv2DBackpropInput,
    inputsToSave: ['dy', 'filter'],
    gradFunc: (ddx, saved, attrs) => {
      const [dy, filter] = saved;
      const { strides, pad, dataFormat, dimRoundingMode } = attrs as Attrs;
      return {
        dy: () => runKernel(tf.Conv2D, { x: ddx as tf.Tensor, filter }, { strides, pad, dataFormat, dilations: 1, dimRoundingMode }),
        filter: () =>
          runKernel(
            tf.Conv2DBackpropFilter,
            { x: ddx as tf.Tensor, dy },
            { strides, pad, dataFormat, dimRoundingMode, filterShape: filter.shape },
          ),
      };
    },
  },
  {
    // y = op(a) · op(b); written with explicit transposes so that wasm stays on XNNPACK's
    // fast matmul (a transposeA flag there takes a scalar loop). Batch dimensions must match.
    kernelName: tf.BatchMatMul,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved as [tf.Tensor3D, tf.Tensor3D];
      const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
      const g = dy as tf.Tensor3D;
      const t = (x: tf.Tensor3D) => {
        const r = x.rank;
        return tf.transpose(x, [...Array(r - 2).keys(), r - 1, r - 2]) as tf.Tensor3D;
      };
      const mm = (x: tf.Tensor3D, y: tf.Tensor3D) => tf.matMul(x, y);
      if (!transposeA && !transposeB) return { a: () => tf.matMul(g, b, false, true), b: () => mm(t(a), g) };
      if (!transposeA && transposeB) return { a: () => mm(g, b), b: () => mm(t(g), a) };
      if (transposeA && !transposeB) return { a: () => tf.matMul(b, g, false, true), b: () => mm(a, g) };
      return { a: () => mm(t(b), t(g)), b: () => mm(t(g), t(a)) };
    },
  },
  {
    kernelName: tf.Transpose,
    gradFunc: (dy, _saved, attrs) => {
      const perm = (attrs as { perm: number[] }).perm;
      const inverse = new Array<number>(perm.length);
      perm.forEach((p, i) => (inverse[p] = i));
      return { x: () => tf.transpose(dy as tf.Tensor, inverse) };
    },
  },
  {
    // The backends' ResizeBilinearGrad implements the align-corners and legacy mappings only;
    // the cpu one labels a non-square result [n, w, h, c] (its values are laid out [n, h, w, c]).
    kernelName: tf.ResizeBilinear,
    inputsToSave: ['images'],
    gradFunc: (dy, saved, attrs) => {
      const { alignCorners, halfPixelCenters } = attrs as { alignCorners: boolean; halfPixelCenters: boolean };
      if (halfPixelCenters) throw new Error('the gradient of resizeBilinear with halfPixelCenters is not available; use alignCorners');
      const [images] = saved;
      return {
        images: () => tf.reshape(runKernel(tf.ResizeBilinearGrad, { dy: dy as tf.Tensor, images }, { alignCorners }), images.shape),
      };
    },
  },
];

let registered = false;

export function registerEngineGradients(): void {
  if (registered) return;
  registered = true;
  for (const config of configs) if (!tf.getGradient(config.kernelName)) tf.registerGradient(config);
}

registerEngineGradients();
