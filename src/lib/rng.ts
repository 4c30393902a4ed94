/**
 * Randomness, injected and reproducible. Every random choice in Tessera (an
 * election timeout, a simulated packet loss) comes from an `Rng` handed in by
 * the caller, so one seed replays one run exactly.
 *
 * `SeededRng` is xoshiro128** (Blackman & Vigna), seeded through splitmix32; it
 * is fast, has a 2^128 period and passes the usual statistical batteries.
 */
import { assert } from "./assert.js";

export interface Rng {
  /** A uniformly random unsigned 32-bit integer. */
  nextU32(): number;
  /** A uniformly random integer in [0, n). */
  intn(n: number): number;
  /** A uniformly random float in [0, 1). */
  float(): number;
}

export class SeededRng implements Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  intn(n: number): number {
    assert(Number.isInteger(n) && n > 0 && n <= 0x1_0000_0000, `intn bound out of range: ${n}`);
    // Rejection sampling keeps the distribution exactly uniform.
    const limit = 0x1_0000_0000 - (0x1_0000_0000 % n);
    for (;;) {
      const v = this.nextU32();
      if (v < limit) return v % n;
    }
  }

  float(): number {
    return this.nextU32() / 0x1_0000_0000;
  }

  /** A new independent generator derived from this one (for a sub-component). */
  fork(): SeededRng {
    return new SeededRng(this.nextU32());
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
