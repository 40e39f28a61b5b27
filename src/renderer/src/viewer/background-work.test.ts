import { describe, expect, it } from 'vitest';
import { inBackground } from './background-work.ts';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('background work over many slices', () => {
  it('does every item, never more than a few at once', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    const finished = await inBackground(
      Array.from({ length: 50 }, (_, i) => i),
      async (i) => {
        most = Math.max(most, ++running);
        await tick();
        done.push(i);
        running--;
      },
      () => false,
      { concurrency: 3 },
    );
    expect(finished).toBe(true);
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(most).toBe(3);
  });

  it('takes no new item once stopped (the series was closed), and says it did not finish', async () => {
    let started = 0;
    let stop = false;
    const finished = await inBackground(
      Array.from({ length: 200 }, (_, i) => i),
      async () => {
        if (++started === 10) stop = true;
        await tick();
      },
      () => stop,
      { concurrency: 3 },
    );
    expect(finished).toBe(false);
    // The ones already under way finish; nothing after.
    expect(started).toBeLessThanOrEqual(12);
  });

  it('takes the items nearest to where the user is first, and follows the user on', async () => {
    let at = 100;
    const order: number[] = [];
    const finished = await inBackground(
      Array.from({ length: 200 }, (_, i) => i),
      async (i) => {
        order.push(i);
        if (order.length === 10) at = 190; // the user jumps near the end
        await tick();
      },
      () => false,
      { concurrency: 1, around: () => at },
    );
    expect(finished).toBe(true);
    expect(order.slice(0, 5)).toEqual([100, 99, 101, 98, 102]);
    expect(order.slice(10, 13)).toEqual([190, 189, 191]);
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });
});
