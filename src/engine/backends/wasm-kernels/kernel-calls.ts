import * as tf from '@tensorflow/tfjs-core';

/**
 * Calls other kernels of the same backend from inside a kernel, on TensorInfos (not
 * Tensors: nothing is recorded on the gradient tape), and frees the intermediates.
 */
export type Info = tf.TensorInfo;

export class KernelCalls {
  private readonly temps: Info[] = [];

  constructor(
    readonly backend: tf.KernelBackend,
    private readonly backendName: string,
    private readonly originals: Map<string, tf.KernelFunc> = new Map(),
  ) {}

  call(kernel: string, inputs: Record<string, Info | Info[]>, attrs: object = {}): Info {
    const func = this.originals.get(kernel) ?? tf.getKernel(kernel, this.backendName)?.kernelFunc;
    if (!func) throw new Error(`${this.backendName} backend has no ${kernel} kernel`);
    const out = func({ inputs: inputs as unknown as tf.NamedTensorInfoMap, backend: this.backend, attrs: attrs as tf.NamedAttrMap }) as Info;
    this.temps.push(out);
    return out;
  }

  reshape(x: Info, shape: number[]): Info {
    return this.call(tf.Reshape, { x }, { shape });
  }

  transpose(x: Info, perm: number[]): Info {
    return this.call(tf.Transpose, { x }, { perm });
  }

  matMul(a: Info, b: Info, transposeB = false): Info {
    return this.call(tf.BatchMatMul, { a, b }, { transposeA: false, transposeB });
  }

  /** Frees intermediates that are no longer needed (keeps peak memory down in loops). */
  free(...infos: Info[]): void {
    for (const info of infos) {
      const i = this.temps.indexOf(info);
      if (i >= 0) {
        this.temps.splice(i, 1);
        (this.backend as unknown as { disposeData(id: object): void }).disposeData(info.dataId);
      }
    }
  }

  /** Marks `result` as the kernel's output and frees every other intermediate. */
  finish(result: Info): Info {
    for (const t of this.temps) {
      if (t === result) continue;
      (this.backend as unknown as { disposeData(id: object): void }).disposeData(t.dataId);
    }
    this.temps.length = 0;
    return result;
  }

  /** Frees everything (on error). */
  abort(): void {
    for (const t of this.temps) (this.backend as unknown as { disposeData(id: object): void }).disposeData(t.dataId);
    this.temps.length = 0;
  }
}
