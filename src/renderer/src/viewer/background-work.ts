/**
 * Work over many slices in the background, a few at a time. A browser keeps about six
 * connections to a server, first come first served: two hundred background fetches
 * started at once would make the slice the user is waiting for (another series opened,
 * a scroll) queue behind them all. Stops taking new items once `stopped()` says so (the
 * series was closed); resolves to whether every item was done.
 */
export const BACKGROUND_CONCURRENCY = 3;

export interface BackgroundOptions {
  concurrency?: number;
  /**
   * Where the user is (an item's index: the slice on screen), asked before each item is
   * taken: the items nearest to it go first, so a scroll finds its next slices already
   * loaded instead of waiting behind slices at the other end of the series.
   */
  around?: () => number;
}

export async function inBackground<T>(
  items: readonly T[],
  work: (item: T) => Promise<unknown>,
  stopped: () => boolean,
  { concurrency = BACKGROUND_CONCURRENCY, around }: BackgroundOptions = {},
): Promise<boolean> {
  const remaining = new Set(items.keys());
  const take = (): number | undefined => {
    let chosen: number | undefined;
    if (around) {
      const centre = around();
      let distance = Infinity;
      for (const index of remaining) {
        const d = Math.abs(index - centre);
        if (d < distance) {
          chosen = index;
          distance = d;
        }
      }
    } else {
      chosen = remaining.values().next().value;
    }
    if (chosen !== undefined) remaining.delete(chosen);
    return chosen;
  };
  const worker = async (): Promise<void> => {
    while (!stopped()) {
      const index = take();
      if (index === undefined) return;
      await work(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return remaining.size === 0 && !stopped();
}
