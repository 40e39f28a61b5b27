import { describe, expect, it } from 'vitest';
import { SessionLifecycle } from './session-lifecycle.ts';

/** A session that records its life, opened after a delay the test controls. */
class FakeSession {
  destroyed = false;
  constructor(
    readonly name: string,
    private readonly log: string[],
  ) {}
  destroy(): void {
    this.destroyed = true;
    this.log.push(`destroy ${this.name}`);
  }
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('SessionLifecycle', () => {
  it('keeps one session: opening another closes the first, saving before destroying', async () => {
    const log: string[] = [];
    const life = new SessionLifecycle<FakeSession>(async (s) => void log.push(`save ${s.name}`));
    const a = await life.open(async () => new FakeSession('a', log));
    const b = await life.open(async () => new FakeSession('b', log));
    expect(a?.destroyed).toBe(true);
    expect(life.current).toBe(b);
    expect(log).toEqual(['save a', 'destroy a']);
  });

  it('skips an open overtaken by a newer one, and destroys one that finished too late', async () => {
    const log: string[] = [];
    const life = new SessionLifecycle<FakeSession>();
    const slow = deferred<FakeSession>();
    let started = 0;
    const first = life.open(() => (started++, slow.promise));
    await Promise.resolve();
    await Promise.resolve();
    expect(started).toBe(1);
    // Two more clicks while the first is loading: the middle one never starts.
    let middleStarted = false;
    const second = life.open(async () => ((middleStarted = true), new FakeSession('second', log)));
    const third = life.open(async () => new FakeSession('third', log));
    const late = new FakeSession('first', log);
    slow.resolve(late);
    expect(await first).toBeNull();
    expect(await second).toBeNull();
    expect(middleStarted).toBe(false);
    const current = await third;
    expect(current?.name).toBe('third');
    expect(late.destroyed).toBe(true);
    expect(log).toEqual(['destroy first']);
  });

  it('closes for good: an open in flight destroys itself when it is ready', async () => {
    const log: string[] = [];
    const life = new SessionLifecycle<FakeSession>(async (s) => void log.push(`save ${s.name}`));
    await life.open(async () => new FakeSession('a', log));
    const slow = deferred<FakeSession>();
    const opening = life.open(() => slow.promise);
    const closing = life.close();
    slow.resolve(new FakeSession('b', log));
    expect(await opening).toBeNull();
    await closing;
    expect(life.current).toBeNull();
    expect(log).toEqual(['save a', 'destroy a']);
    expect(await life.open(async () => new FakeSession('c', log))).toBeNull();
  });

  it('a failed open rejects that open only; the next one works', async () => {
    const log: string[] = [];
    const life = new SessionLifecycle<FakeSession>();
    await expect(life.open(async () => Promise.reject(new Error('no such series')))).rejects.toThrow('no such series');
    expect((await life.open(async () => new FakeSession('b', log)))?.name).toBe('b');
  });

  it('destroys the session even when its last save fails', async () => {
    const log: string[] = [];
    const life = new SessionLifecycle<FakeSession>(async () => Promise.reject(new Error('disk full')));
    const a = await life.open(async () => new FakeSession('a', log));
    await expect(life.close()).rejects.toThrow('disk full');
    expect(a?.destroyed).toBe(true);
  });
});
