import { describe, expect, it } from 'vitest';
import { QuietPeriod } from './quiet-period.ts';

/** A clock the test moves in 10 ms steps while the work sleeps; `onTick` is what the user does meanwhile. */
function fakeClock() {
  const clock = {
    time: 0,
    onTick: (_time: number) => {},
    now: () => clock.time,
    sleep: async (ms: number) => {
      for (const end = clock.time + ms; clock.time < end;) {
        clock.time += 10;
        clock.onTick(clock.time);
      }
    },
  };
  return clock;
}

describe('waiting for the user to pause', () => {
  it('goes ahead at once when the view was left alone long enough', async () => {
    const clock = fakeClock();
    const quiet = new QuietPeriod(clock.now, clock.sleep);
    await quiet.settled(400);
    expect(clock.now()).toBe(0);
  });

  it('waits while the user keeps scrolling, then the quiet period after the last scroll', async () => {
    const clock = fakeClock();
    const quiet = new QuietPeriod(clock.now, clock.sleep);
    quiet.touch();
    // A scroll every 100 ms until 1000 ms, while the work waits.
    clock.onTick = (time) => {
      if (time % 100 === 0 && time <= 1000) quiet.touch();
    };
    await quiet.settled(400);
    expect(clock.now()).toBe(1400);
  });
});
