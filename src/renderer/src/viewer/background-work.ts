/**
 * Work over many slices in the background, a few at a time. A browser keeps about six
 * connections to a server, first come first served: two hundred background fetches
 * started at once would make the slice the user is waiting for (another series opened,
 * a scroll) queue behind them all. Stops taking new items once `stopped()` says so (the
 * series was closed); resolves to whether every item was done.
 */
export const BACKGROUND_CONCURRENCY = 3;

export async function inBackground<T>(
  items: readonly T[],
  work: (item: T) => Promise<unknown>,
  stopped: () => boolean,
  concurrency = BACKGROUND_CONCURRENCY,
): Promise<boolean> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !stopped()) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return next >= items.length && !stopped();
}
