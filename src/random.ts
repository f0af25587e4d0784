/**
 * A seeded source of uniform numbers in [0, 1), callable as a plain function (so it can be
 * handed to libraries that take `random: () => number`, such as umap-js), with a few helpers.
 */
export interface Random {
  (): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** A float in [lo, hi). */
  between(lo: number, hi: number): number;
  /** One element, uniformly. */
  pick<T>(items: readonly T[]): T;
  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[];
}

/**
 * mulberry32 (Tommy Ettinger's 32-bit generator): tiny, fast, and identical across JS engines,
 * which is what seeded demos and tests need; not for anything security-related.
 *
 * @example
 * const random = createRandom(42);
 * random();          // 0.6011037519201636
 * random.int(10);    // an integer 0..9
 */
export function createRandom(seed: number): Random {
  let state = seed | 0;
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`random.int: expected a positive integer, got ${n}`);
    return Math.floor(next() * n);
  };
  return Object.assign(next, {
    int,
    between: (lo: number, hi: number) => lo + (hi - lo) * next(),
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error('random.pick: empty list');
      return items[int(items.length)];
    },
    shuffle: <T>(items: readonly T[]): T[] => {
      const out = items.slice();
      for (let i = out.length - 1; i > 0; i--) {
        const j = int(i + 1);
        [out[i], out[j]] = [out[j], out[i]];
      }
      return out;
    },
  });
}

/**
 * A seed for an independent stream keyed by integers (e.g. one per image), so any item can be
 * regenerated alone from (seed, key) without replaying the others. murmur3's 32-bit finaliser.
 *
 * @example
 * const sceneRandom = createRandom(deriveSeed(7, imageId));
 */
export function deriveSeed(seed: number, ...keys: number[]): number {
  let h = seed | 0;
  for (const key of keys) {
    h = Math.imul(h ^ (key | 0), 0x9e3779b1);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}
