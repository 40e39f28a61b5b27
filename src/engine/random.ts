/**
 * Seedable, local randomness (no global state, no Math.random), so that the same seed
 * gives the same data order and the same initial weights on every backend and every run
 * (paper Sec. 4.2: "all models are initialized with the same random seed").
 */
export class Random {
  private state: number;

  constructor(seed: number) {
    // Spread small consecutive seeds apart so that seed 0 and seed 1 do not correlate.
    this.state = mix32((seed >>> 0) ^ 0x9e3779b9);
  }

  /** A generator derived from this seed and some labels (e.g. "epoch", 7): independent streams. */
  static derive(seed: number, ...labels: (string | number)[]): Random {
    let h = mix32(seed >>> 0);
    for (const label of labels) {
      const text = String(label);
      for (let i = 0; i < text.length; i++) h = mix32(h ^ text.charCodeAt(i));
      h = mix32(h ^ 0x85ebca6b);
    }
    return new Random(h);
  }

  /** mulberry32: uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fisher-Yates, in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }
}

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}
