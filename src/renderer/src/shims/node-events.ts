/**
 * Enough of Node's `events` for the browser build. Cornerstone's core imports vtk.js's
 * XML readers (for meshes we never load), which import xmlbuilder2, whose v4 extends
 * `events.EventEmitter` at module load; Vite externalizes Node built-ins, so without
 * this the whole page fails with "Class extends value undefined". Aliased in the Vite
 * configs (src/cli/serve/web-build-config.ts, electron.vite.config.ts).
 */
type Listener = (...args: unknown[]) => void;

export class EventEmitter {
  private readonly listenersByName = new Map<string | symbol, Listener[]>();

  on(name: string | symbol, listener: Listener): this {
    this.listenersByName.set(name, [...(this.listenersByName.get(name) ?? []), listener]);
    return this;
  }

  addListener(name: string | symbol, listener: Listener): this {
    return this.on(name, listener);
  }

  once(name: string | symbol, listener: Listener): this {
    const wrapped: Listener = (...args) => {
      this.off(name, wrapped);
      listener(...args);
    };
    return this.on(name, wrapped);
  }

  off(name: string | symbol, listener: Listener): this {
    this.listenersByName.set(
      name,
      (this.listenersByName.get(name) ?? []).filter((l) => l !== listener),
    );
    return this;
  }

  removeListener(name: string | symbol, listener: Listener): this {
    return this.off(name, listener);
  }

  removeAllListeners(name?: string | symbol): this {
    if (name === undefined) this.listenersByName.clear();
    else this.listenersByName.delete(name);
    return this;
  }

  emit(name: string | symbol, ...args: unknown[]): boolean {
    const listeners = this.listenersByName.get(name) ?? [];
    for (const listener of listeners) listener(...args);
    return listeners.length > 0;
  }

  listenerCount(name: string | symbol): number {
    return this.listenersByName.get(name)?.length ?? 0;
  }
}

export default EventEmitter;
