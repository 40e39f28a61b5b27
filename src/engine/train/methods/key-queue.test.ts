import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBackend } from '../../node/load-backend.ts';
import { Random } from '../../random.ts';
import { KeyQueue } from './key-queue.ts';

beforeAll(async () => {
  await loadBackend('wasm');
});

const rows = async (queue: KeyQueue) => {
  const values = Array.from(await queue.keys.data());
  return Array.from({ length: queue.length }, (_, r) => values.slice(r * queue.dim, (r + 1) * queue.dim));
};

describe("MoCo's key queue", () => {
  it('starts as seeded unit vectors', async () => {
    const a = new KeyQueue(6, 4, new Random(1));
    const b = new KeyQueue(6, 4, new Random(1));
    expect(await rows(a)).toEqual(await rows(b));
    for (const row of await rows(a)) expect(Math.hypot(...row)).toBeCloseTo(1, 5);
    a.dispose();
    b.dispose();
  });

  it('enqueues in batch order at the pointer, overwriting the oldest keys, and wraps around the end', async () => {
    const queue = new KeyQueue(5, 2, new Random(2));
    const initial = await rows(queue);
    queue.enqueue(
      tf.tensor2d([
        [1, 1],
        [2, 2],
        [3, 3],
      ]),
    ); // a b c
    expect(queue.pointer).toBe(3);
    expect(await rows(queue)).toEqual([[1, 1], [2, 2], [3, 3], initial[3], initial[4]]);
    queue.enqueue(
      tf.tensor2d([
        [4, 4],
        [5, 5],
        [6, 6],
        [7, 7],
      ]),
    ); // d e at the end, f g wrap to the start
    expect(queue.pointer).toBe(2);
    expect(await rows(queue)).toEqual([
      [6, 6],
      [7, 7],
      [3, 3],
      [4, 4],
      [5, 5],
    ]);
    queue.enqueue(
      tf.tensor2d([
        [8, 8],
        [9, 9],
        [10, 10],
      ]),
    ); // the oldest now: c, d, e
    expect(queue.pointer).toBe(0);
    expect(await rows(queue)).toEqual([
      [6, 6],
      [7, 7],
      [8, 8],
      [9, 9],
      [10, 10],
    ]);
    queue.dispose();
  });

  it('keeps only the newest K keys of a batch larger than the queue', async () => {
    const queue = new KeyQueue(3, 1, new Random(3));
    queue.enqueue(tf.tensor2d([[1]]));
    queue.enqueue(tf.tensor2d([[2], [3], [4], [5], [6]])); // as if one by one from position 1: 2 3 | 4 5 6 …
    expect(queue.pointer).toBe(0);
    expect(await rows(queue)).toEqual([[4], [5], [6]]);
    queue.dispose();
  });
});
