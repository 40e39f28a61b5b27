import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../random.ts';

/**
 * Checks a differentiable function's registered gradients against central finite
 * differences (for tests): f maps input tensors to a scalar; the analytic gradient of
 * every input comes from tf.grads, the numeric one from f(x + εe) − f(x − εe) at up to
 * `probes` seeded coordinates per input. Returns the worst relative error over the inputs:
 * ‖numeric − analytic‖ / max(‖analytic‖, ‖numeric‖, tiny), over the probed coordinates.
 */
export interface GradientInput {
  shape: number[];
  values: Float32Array;
}

export async function worstGradientError(
  f: (...inputs: tf.Tensor[]) => tf.Scalar,
  inputs: GradientInput[],
  options: { epsilon?: number; probes?: number; seed?: number } = {},
): Promise<{ worst: number; perInput: number[] }> {
  const epsilon = options.epsilon ?? 1e-2;
  const probes = options.probes ?? 24;
  const random = new Random(options.seed ?? 7);
  const evaluate = async (values: Float32Array[]): Promise<number> => {
    const out = tf.tidy(() => f(...values.map((v, i) => tf.tensor(v, inputs[i].shape, 'float32'))));
    const value = (await out.data())[0];
    out.dispose();
    return value;
  };
  const analytic = tf.tidy(() => {
    const tensors = inputs.map((input) => tf.tensor(input.values, input.shape, 'float32'));
    return tf.grads((...xs: tf.Tensor[]) => f(...xs))(tensors);
  });
  const perInput: number[] = [];
  for (let k = 0; k < inputs.length; k++) {
    const grad = (await analytic[k].data()) as Float32Array;
    const n = inputs[k].values.length;
    const coords = n <= probes ? [...Array(n).keys()] : Array.from({ length: probes }, () => random.int(n));
    let num = 0;
    let den = 0;
    let nrm = 0;
    for (const c of coords) {
      const plus = inputs.map((input) => input.values.slice());
      const minus = inputs.map((input) => input.values.slice());
      plus[k][c] += epsilon;
      minus[k][c] -= epsilon;
      const numeric = ((await evaluate(plus)) - (await evaluate(minus))) / (2 * epsilon);
      num += (numeric - grad[c]) ** 2;
      den += grad[c] ** 2;
      nrm += numeric ** 2;
    }
    perInput.push(Math.sqrt(num) / Math.max(Math.sqrt(den), Math.sqrt(nrm), 1e-6));
  }
  tf.dispose(analytic);
  return { worst: Math.max(...perInput), perInput };
}

/** Seeded normal values for a test input. */
export function normalInput(shape: number[], seed: number, scale = 1): GradientInput {
  const random = new Random(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, values: Float32Array.from({ length: n }, () => random.normal() * scale) };
}

/** ‖a − b‖ / ‖a‖ (for comparing gradients across backends or implementations). */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += a[i] * a[i];
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}
