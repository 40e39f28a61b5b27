/**
 * Every stroke is saved: an edited slice is sent a moment after the last change to it
 * (a stroke reports many), one save per slice at a time and in order, and a failed save
 * keeps the slice's labels to try again (after a pause, or at once with the next edit or
 * a flush), so nothing painted is lost while the engine is busy or away.
 */
export interface AutosaveStatus {
  /** saves on their way */
  saving: number;
  /** slices edited and not saved yet (waiting, or failed and waiting to retry) */
  unsaved: number;
  /** a line a person reads: the last slice saved, or why the last save failed */
  message: string | null;
  failed: boolean;
}

export interface AutosaveOptions {
  /** writes one slice's labels (the engine's saveAnnotation for the open series) */
  save(index: number, labels: Uint16Array): Promise<void>;
  onStatus?(status: AutosaveStatus): void;
  /** quiet time after an edit before it is sent */
  delayMs?: number;
  /** pause before a failed save is tried again */
  retryMs?: number;
}

interface Pending {
  labels: Uint16Array;
  timer: ReturnType<typeof setTimeout> | null;
}

export class AutosaveQueue {
  private readonly pending = new Map<number, Pending>();
  /** each slice's save in flight: the next save of that slice waits for it */
  private readonly inFlight = new Map<number, Promise<void>>();
  private saving = 0;
  private message: string | null = null;
  private failed = false;
  private readonly delayMs: number;
  private readonly retryMs: number;

  constructor(private readonly options: AutosaveOptions) {
    this.delayMs = options.delayMs ?? 250;
    this.retryMs = options.retryMs ?? 2000;
  }

  /** A slice's labels changed (the newest labels of a slice replace any not sent yet). */
  queue(index: number, labels: Uint16Array): void {
    this.schedule(index, labels, this.delayMs);
    this.report();
  }

  /** Sends every slice not saved yet, now, and waits for every save on its way. */
  async flush(): Promise<void> {
    const indices = [...this.pending.keys()];
    await Promise.all([...indices.map((index) => this.send(index)), ...this.inFlight.values()]);
  }

  get status(): AutosaveStatus {
    return { saving: this.saving, unsaved: this.pending.size, message: this.message, failed: this.failed };
  }

  /** Stops the timers (what is unsaved stays unsaved: flush first). */
  dispose(): void {
    for (const entry of this.pending.values()) if (entry.timer) clearTimeout(entry.timer);
    for (const entry of this.pending.values()) entry.timer = null;
  }

  private schedule(index: number, labels: Uint16Array, delayMs: number): void {
    const existing = this.pending.get(index);
    if (existing?.timer) clearTimeout(existing.timer);
    this.pending.set(index, { labels, timer: setTimeout(() => void this.send(index), delayMs) });
  }

  private send(index: number): Promise<void> {
    const entry = this.pending.get(index);
    if (!entry) return this.inFlight.get(index) ?? Promise.resolve();
    if (entry.timer) clearTimeout(entry.timer);
    this.pending.delete(index);
    const previous = this.inFlight.get(index) ?? Promise.resolve();
    const sending = previous.then(() => this.write(index, entry.labels));
    this.inFlight.set(index, sending);
    void sending.finally(() => {
      if (this.inFlight.get(index) === sending) this.inFlight.delete(index);
    });
    this.report();
    return sending;
  }

  private async write(index: number, labels: Uint16Array): Promise<void> {
    this.saving++;
    this.report();
    try {
      await this.options.save(index, labels);
      this.failed = false;
      this.message = `slice ${index + 1} saved`;
    } catch (error) {
      this.failed = true;
      const reason = error instanceof Error ? error.message : String(error);
      this.message = `slice ${index + 1} not saved yet (${reason}); trying again`;
      // A newer edit of the slice replaces these labels; otherwise they are retried.
      if (!this.pending.has(index)) this.schedule(index, labels, this.retryMs);
    } finally {
      this.saving--;
      this.report();
    }
  }

  private report(): void {
    this.options.onStatus?.(this.status);
  }
}
