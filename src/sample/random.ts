/**
 * Seedable randomness for the built-in sample. Everything the sample draws comes from
 * here (never Math.random), so one seed always gives the same scans, byte for byte.
 */

export interface Random {
  /** uniform in [0, 1) */
  next(): number;
  /** uniform in [min, max) */
  uniform(min: number, max: number): number;
  /** integer in [min, max], both ends included */
  int(min: number, max: number): number;
  /** Gaussian with the given mean and standard deviation */
  normal(mean?: number, sd?: number): number;
  /** +1 or -1 with equal odds */
  sign(): number;
}

/**
 * Hashes any mix of numbers and strings to 32 bits (FNV-1a over the text, then a
 * murmur3 finaliser), so that e.g. (seed, subject, "noise") picks an independent stream.
 */
export function hashSeed(...parts: (string | number)[]): number {
  const text = parts.map(String).join('\u0000');
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** sfc32 (Chris Doty-Humphrey's small fast counting generator), seeded through splitmix32. */
export function createRandom(...seedParts: (string | number)[]): Random {
  let state = hashSeed(...seedParts);
  const splitmix = (): number => {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // Discard the first outputs: sfc32 mixes weakly right after seeding.
  for (let i = 0; i < 12; i++) next();

  let spare: number | null = null;
  const normal = (mean = 0, sd = 1): number => {
    if (spare !== null) {
      const value = spare;
      spare = null;
      return mean + sd * value;
    }
    // Box-Muller; 1 - next() keeps the logarithm's argument in (0, 1].
    const radius = Math.sqrt(-2 * Math.log(1 - next()));
    const angle = 2 * Math.PI * next();
    spare = radius * Math.sin(angle);
    return mean + sd * radius * Math.cos(angle);
  };
  return {
    next,
    uniform: (min, max) => min + (max - min) * next(),
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    normal,
    sign: () => (next() < 0.5 ? -1 : 1),
  };
}
