import * as tf from '@tensorflow/tfjs-core';
import { isWasmHeapBackend, type WasmHeapBackend } from './wasm-heap.ts';

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
  ) {}

  call(kernel: string, inputs: Record<string, Info | Info[]>, attrs: object = {}): Info {
    const func = tf.getKernel(kernel, this.backendName)?.kernelFunc;
    if (!func) throw new Error(`${this.backendName} backend has no ${kernel} kernel`);
    const out = func({
      inputs: inputs as unknown as tf.NamedTensorInfoMap,
      backend: this.backend,
      attrs: attrs as tf.NamedAttrMap,
    }) as Info;
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

  /** The wasm heap, for intermediates a JavaScript loop writes; null on other backends. */
  get heap(): WasmHeapBackend | null {
    return this.backendName === 'wasm' && isWasmHeapBackend(this.backend) ? this.backend : null;
  }

  /** A new float32 intermediate on the wasm heap (contents undefined), freed with the others. */
  output(shape: number[]): Info {
    const heap = this.heap;
    if (!heap) throw new Error(`${this.backendName}: kernel outputs on the wasm heap need the wasm backend`);
    const out = heap.makeOutput(shape, 'float32');
    this.temps.push(out);
    return out;
  }

  /**
   * A zero-copy view of `shape` (float32) inside a contiguous tensor, starting `offset`
   * values into it: a TensorInfo registered at that address of the wasm heap (possible
   * because the wasm backend lets an output live at any heap address). Only for the wasm
   * backend; freed with the other temps, without releasing the memory it borrows.
   */
  view(x: Info, offset: number, shape: number[]): Info | null {
    const backend = this.backend as unknown as WasmInternals;
    if (this.backendName !== 'wasm' || typeof backend.makeOutput !== 'function' || !backend.dataIdMap?.get) return null;
    const entry = backend.dataIdMap.get(x.dataId);
    if (!entry || entry.memoryOffset == null || x.dtype !== 'float32') return null;
    if (offset + shape.reduce((a, b) => a * b, 1) > x.shape.reduce((a, b) => a * b, 1))
      throw new Error(`a view of ${shape.join('×')} at ${offset} overruns a tensor of ${x.shape.join('×')}`);
    const view = backend.makeOutput(shape, 'float32', entry.memoryOffset + offset * 4);
    this.views.add(view.dataId);
    this.temps.push(view);
    return view;
  }

  private readonly views = new Set<object>();

  private release(info: Info): void {
    const backend = this.backend as unknown as WasmInternals;
    if (this.views.has(info.dataId)) {
      // Unregister without freeing: the memory belongs to the viewed tensor.
      const entry = backend.dataIdMap.get(info.dataId);
      if (entry) backend.wasm.tfjs.disposeData(entry.id);
      backend.dataIdMap.delete(info.dataId);
      this.views.delete(info.dataId);
      return;
    }
    (this.backend as unknown as { disposeData(id: object): void }).disposeData(info.dataId);
  }

  /** Frees intermediates that are no longer needed (keeps peak memory down in loops). */
  free(...infos: Info[]): void {
    for (const info of infos) {
      const i = this.temps.indexOf(info);
      if (i >= 0) {
        this.temps.splice(i, 1);
        this.release(info);
      }
    }
  }

  /** Marks `result` as the kernel's output and frees every other intermediate. */
  finish(result: Info): Info {
    return this.finishAll([result])[0];
  }

  /** The same for a kernel with several outputs. */
  finishAll(results: Info[]): Info[] {
    for (const t of this.temps) if (!results.includes(t)) this.release(t);
    this.temps.length = 0;
    return results;
  }

  /** Frees everything (on error). */
  abort(): void {
    for (const t of this.temps) this.release(t);
    this.temps.length = 0;
  }
}

interface WasmInternals {
  makeOutput(shape: number[], dtype: 'float32', memoryOffset?: number): Info;
  dataIdMap: { get(id: object): { id: number; memoryOffset: number | null } | undefined; delete(id: object): void };
  wasm: { tfjs: { disposeData(id: number): void } };
}
