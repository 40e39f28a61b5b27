import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AutosaveQueue, type AutosaveStatus } from './autosave-queue.ts';

/** The engine's saveAnnotation as the queue sees it: records calls, can fail or hang. */
class FakeApi {
  readonly saved: { index: number; labels: number[] }[] = [];
  failNext = 0;
  private gates: (() => void)[] = [];
  hold = false;

  save = async (index: number, labels: Uint16Array): Promise<void> => {
    if (this.hold) await new Promise<void>((resolve) => this.gates.push(resolve));
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('the engine is busy');
    }
    this.saved.push({ index, labels: [...labels] });
  };

  release(): void {
    this.hold = false;
    for (const open of this.gates.splice(0)) open();
  }
}

const labels = (...values: number[]) => Uint16Array.from(values);

describe('AutosaveQueue', () => {
  let api: FakeApi;
  let statuses: AutosaveStatus[];
  let queue: AutosaveQueue;
  beforeEach(() => {
    vi.useFakeTimers();
    api = new FakeApi();
    statuses = [];
    queue = new AutosaveQueue({ save: api.save, onStatus: (s) => statuses.push(s), delayMs: 250, retryMs: 2000 });
  });
  afterEach(() => {
    queue.dispose();
    vi.useRealTimers();
  });

  it('sends a slice once, a moment after the last of a burst of edits, with the newest labels', async () => {
    queue.queue(3, labels(1));
    await vi.advanceTimersByTimeAsync(100);
    queue.queue(3, labels(2));
    await vi.advanceTimersByTimeAsync(100);
    queue.queue(3, labels(3));
    expect(api.saved).toEqual([]);
    await vi.advanceTimersByTimeAsync(250);
    expect(api.saved).toEqual([{ index: 3, labels: [3] }]);
    expect(queue.status).toEqual({ saving: 0, unsaved: 0, message: 'slice 4 saved', failed: false });
  });

  it('keeps slices apart: each slice is saved with its own labels', async () => {
    queue.queue(0, labels(5));
    queue.queue(7, labels(6));
    await vi.advanceTimersByTimeAsync(300);
    expect(api.saved).toEqual([
      { index: 0, labels: [5] },
      { index: 7, labels: [6] },
    ]);
  });

  it('keeps what failed and tries again, saying so in words', async () => {
    api.failNext = 1;
    queue.queue(2, labels(9));
    await vi.advanceTimersByTimeAsync(300);
    expect(api.saved).toEqual([]);
    expect(queue.status).toMatchObject({ failed: true, unsaved: 1, message: 'slice 3 not saved yet (the engine is busy); trying again' });
    await vi.advanceTimersByTimeAsync(2000);
    expect(api.saved).toEqual([{ index: 2, labels: [9] }]);
    expect(queue.status).toMatchObject({ failed: false, unsaved: 0 });
  });

  it('lets a newer edit replace labels that failed to save', async () => {
    api.failNext = 1;
    queue.queue(2, labels(1));
    await vi.advanceTimersByTimeAsync(300);
    queue.queue(2, labels(4));
    await vi.advanceTimersByTimeAsync(300);
    expect(api.saved).toEqual([{ index: 2, labels: [4] }]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(api.saved).toHaveLength(1);
  });

  it('flush sends everything at once and waits for saves on their way', async () => {
    api.hold = true;
    queue.queue(1, labels(1));
    await vi.advanceTimersByTimeAsync(300);
    queue.queue(1, labels(2));
    queue.queue(4, labels(3));
    let flushed = false;
    const flushing = queue.flush().then(() => (flushed = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(flushed).toBe(false);
    api.release();
    // The second save of slice 1 waits for the first: the engine sees them in order.
    await vi.waitFor(() => expect(api.saved.length).toBeGreaterThanOrEqual(2));
    api.release();
    await flushing;
    expect(api.saved.filter((s) => s.index === 1).map((s) => s.labels)).toEqual([[1], [2]]);
    expect(api.saved).toContainEqual({ index: 4, labels: [3] });
    expect(queue.status.unsaved).toBe(0);
  });

  it('reports saving while a save is on its way', async () => {
    api.hold = true;
    queue.queue(0, labels(1));
    await vi.advanceTimersByTimeAsync(300);
    expect(queue.status.saving).toBe(1);
    api.release();
    await queue.flush();
    expect(queue.status.saving).toBe(0);
    expect(statuses.some((s) => s.saving === 1)).toBe(true);
  });
});
