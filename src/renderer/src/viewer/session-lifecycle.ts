/**
 * One viewer session on an element at a time. Opens run one after another; an open that
 * a newer one (or closing) has overtaken is skipped, or destroyed as soon as it is ready.
 * Two sessions enabled on one element leave Cornerstone a stale viewport that throws
 * when the other is torn down (and each holds WebGL contexts of its own). Before a
 * session is destroyed, `beforeClose` runs (the last saves).
 */
export interface Closable {
  destroy(): void;
}

export class SessionLifecycle<S extends Closable> {
  private session: S | null = null;
  private generation = 0;
  private closed = false;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly beforeClose: (session: S) => Promise<void> = async () => {}) {}

  get current(): S | null {
    return this.session;
  }

  /**
   * Replaces the session by what `create` makes (null: none). Resolves with the new
   * session, or null when a newer open or close overtook this one; `create`'s error
   * rejects this open only.
   */
  open(create: () => Promise<S | null>): Promise<S | null> {
    const generation = ++this.generation;
    const opening = this.chain.then(async () => {
      if (this.outdated(generation)) return null;
      await this.closeCurrent();
      if (this.outdated(generation)) return null;
      const created = await create();
      if (created && this.outdated(generation)) {
        created.destroy();
        return null;
      }
      this.session = created;
      return created;
    });
    this.chain = opening.catch(() => undefined);
    return opening;
  }

  /** Closes for good (after any open in flight, which then closes itself). */
  close(): Promise<void> {
    this.closed = true;
    this.generation++;
    const closing = this.chain.then(() => this.closeCurrent());
    this.chain = closing.catch(() => undefined);
    return closing;
  }

  private outdated(generation: number): boolean {
    return generation !== this.generation || this.closed;
  }

  private async closeCurrent(): Promise<void> {
    const session = this.session;
    if (!session) return;
    try {
      await this.beforeClose(session);
    } finally {
      this.session = null;
      session.destroy();
    }
  }
}
