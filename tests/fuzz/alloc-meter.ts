/**
 * Counts the bytes a reader allocates for one input: every ArrayBuffer and typed array
 * made through the global constructors or by slice()/map()/filter(), and every page a
 * WebAssembly memory (the codecs') grows by. It must be installed before the readers'
 * modules load, since some libraries keep their own reference to Uint8Array & co.
 * What it cannot see (Node's Buffer pool, plain JS arrays and objects) the worker
 * bounds separately by the growth of the V8 heap.
 */
let allocated = 0;

export function resetAllocated(): void {
  allocated = 0;
}

export function allocatedBytes(): number {
  return allocated;
}

const TYPED_ARRAYS = [
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
] as const;

function lengthOf(argument: unknown): number {
  if (typeof argument === 'number') return argument;
  if (argument === undefined || argument === null) return 0;
  if (argument instanceof ArrayBuffer || ArrayBuffer.isView(argument)) return 0; // a view of existing memory, or a copy counted below
  const length = (argument as { length?: unknown }).length;
  return typeof length === 'number' ? length : 0;
}

export function installAllocationMeter(): void {
  const global = globalThis as unknown as Record<string, unknown>;
  for (const name of TYPED_ARRAYS) {
    const Original = global[name] as { BYTES_PER_ELEMENT: number } & (new (...args: unknown[]) => ArrayBufferView);
    global[name] = new Proxy(Original, {
      construct(target, args, newTarget) {
        const [first] = args;
        // new Uint8Array(otherTypedArray) copies it.
        const elements = ArrayBuffer.isView(first) ? (first as unknown as { length: number }).length : lengthOf(first);
        allocated += elements * target.BYTES_PER_ELEMENT;
        return Reflect.construct(target, args, newTarget) as object;
      },
    });
  }
  global.ArrayBuffer = new Proxy(ArrayBuffer, {
    construct(target, args, newTarget) {
      allocated += typeof args[0] === 'number' ? args[0] : 0;
      return Reflect.construct(target, args, newTarget) as object;
    },
  });
  const typedArrayPrototype = Object.getPrototypeOf(Int8Array.prototype) as Record<string, (...args: unknown[]) => ArrayBufferView>;
  for (const method of ['slice', 'map', 'filter']) {
    const original = typedArrayPrototype[method];
    typedArrayPrototype[method] = function (this: ArrayBufferView, ...args: unknown[]) {
      const result = original.apply(this, args);
      allocated += result.byteLength;
      return result;
    };
  }
  const sliceBuffer = ArrayBuffer.prototype.slice;
  ArrayBuffer.prototype.slice = function (this: ArrayBuffer, ...args: [number?, number?]) {
    const result = sliceBuffer.apply(this, args);
    allocated += result.byteLength;
    return result;
  };
  // (The node tsconfig has no WebAssembly types: the memory prototype is reached by name.)
  const memory = (globalThis as unknown as { WebAssembly: { Memory: { prototype: { grow(pages: number): number } } } }).WebAssembly.Memory
    .prototype;
  const grow = memory.grow;
  memory.grow = function (this: unknown, pages: number) {
    allocated += pages * 65536;
    return grow.call(this, pages);
  };
}
