/**
 * How the load generator picks keys. `uniform` draws every key with equal
 * probability; `zipfian` follows YCSB's ScrambledZipfianGenerator (Gray et
 * al., "Quickly generating billion-record synthetic databases", SIGMOD 1994):
 * a Zipf draw over 10^10 items with θ = 0.99 whose result is hashed (FNV-1a)
 * onto the key space, so popular keys are scattered rather than clustered at
 * the low indices; `sequential` hands out 0, 1, 2, … (bulk loading).
 * Randomness comes from a seeded generator so runs can be replayed.
 */

/** A seeded generator of uniform doubles in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type KeyChoice = "uniform" | "zipfian" | "sequential";

/** YCSB's item count for the scrambled generator and its precomputed zeta for θ = 0.99. */
const scrambledItemCount = 10_000_000_000;
const scrambledZetan = 26.46902820178302;
const zetaTermsMax = 100_000_000;

function zeta(n: number, theta: number): number {
  let sum = 0;
  const terms = Math.min(n, zetaTermsMax);
  for (let i = 1; i <= terms; i++) sum += 1 / i ** theta;
  return sum;
}

/** A Zipf draw over [0, items) (YCSB ZipfianGenerator). */
export function zipfian(items: number, theta: number, random: () => number): () => number {
  const zetan =
    items === scrambledItemCount && theta === 0.99 ? scrambledZetan : zeta(items, theta);
  const zeta2 = zeta(2, theta);
  const alpha = 1 / (1 - theta);
  const eta = (1 - (2 / items) ** (1 - theta)) / (1 - zeta2 / zetan);
  const half = 1 + 0.5 ** theta;
  return () => {
    const u = random();
    const uz = u * zetan;
    if (uz < 1) return 0;
    if (uz < half) return 1;
    return Math.floor(items * (eta * u - eta + 1) ** alpha);
  };
}

/** FNV-1a (32-bit) over the eight little-endian bytes of a non-negative integer < 2^53. */
export function fnv1a64bits(value: number): number {
  let lo = value >>> 0;
  let hi = Math.floor(value / 4294967296) >>> 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < 4; i++) {
    hash = Math.imul(hash ^ (lo & 0xff), 0x01000193);
    lo >>>= 8;
  }
  for (let i = 0; i < 4; i++) {
    hash = Math.imul(hash ^ (hi & 0xff), 0x01000193);
    hi >>>= 8;
  }
  return hash >>> 0;
}

/**
 * Returns a key-index chooser over [0, keyCount). `sequential` starts at
 * `sequentialStart` and wraps around.
 */
export function keyChooser(
  choice: KeyChoice,
  keyCount: number,
  random: () => number,
  theta = 0.99,
  sequentialStart = 0,
): () => number {
  switch (choice) {
    case "uniform":
      return () => Math.floor(random() * keyCount);
    case "zipfian": {
      const draw = zipfian(scrambledItemCount, theta, random);
      return () => fnv1a64bits(draw()) % keyCount;
    }
    case "sequential": {
      let next = sequentialStart;
      return () => {
        const index = next % keyCount;
        next++;
        return index;
      };
    }
  }
}
