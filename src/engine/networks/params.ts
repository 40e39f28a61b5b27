import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '../random.ts';

/**
 * A network's weights: named tf.Variables in a fixed order, so that checkpoints, parity
 * tests and the optimizer all see the same list. `entries` are the trained parameters
 * (what the optimizer and the gradients see); `buffers` are state the network keeps but
 * does not train (batch normalization's running statistics), saved with the weights.
 */
export interface NamedVariable {
  name: string;
  variable: tf.Variable;
}

export class ParamSet {
  readonly entries: NamedVariable[] = [];
  readonly buffers: NamedVariable[] = [];
  private readonly byName = new Map<string, tf.Variable>();

  add(name: string, value: tf.Tensor): tf.Variable {
    return this.register(name, value, true);
  }

  addBuffer(name: string, value: tf.Tensor): tf.Variable {
    return this.register(name, value, false);
  }

  private register(name: string, value: tf.Tensor, trainable: boolean): tf.Variable {
    if (this.byName.has(name)) throw new Error(`parameter ${name} defined twice`);
    const variable = tf.variable(value, trainable, `${name}#${ParamSet.nextId++}`);
    value.dispose();
    (trainable ? this.entries : this.buffers).push({ name, variable });
    this.byName.set(name, variable);
    return variable;
  }

  /** Parameters, then buffers: everything a saved network holds. */
  get all(): NamedVariable[] {
    return [...this.entries, ...this.buffers];
  }

  get(name: string): tf.Variable {
    const v = this.byName.get(name);
    if (!v) throw new Error(`no parameter ${name}`);
    return v;
  }

  get variables(): tf.Variable[] {
    return this.entries.map((e) => e.variable);
  }

  get count(): number {
    return this.entries.reduce((n, e) => n + e.variable.size, 0);
  }

  dispose(): void {
    for (const e of this.all) e.variable.dispose();
    this.entries.length = 0;
    this.buffers.length = 0;
    this.byName.clear();
  }

  private static nextId = 0;
}

/** He-normal initial weights (He et al. 2015, std = sqrt(2 / fan_in)), from a seeded generator
 * so that the same seed gives the same network on every backend. */
export function heNormal(shape: number[], fanIn: number, random: Random): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  const std = Math.sqrt(2 / fanIn);
  for (let i = 0; i < n; i++) values[i] = random.normal() * std;
  return tf.tensor(values, shape, 'float32');
}
