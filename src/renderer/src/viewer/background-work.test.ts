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
      3,
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
      3,
    );
    expect(finished).toBe(false);
    // The ones already under way finish; nothing after.
    expect(started).toBeLessThanOrEqual(12);
  });
});
