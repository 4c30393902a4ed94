/**
 * The memo of Lowe's search (Lowe 2017, §4): the configurations already
 * explored, each a set of linearized operations and the model state they lead
 * to. Reaching a configuration a second time, by another order of the same
 * operations, can find nothing new, so the search prunes it.
 *
 * The set is a bitset over operation indices; its hash is maintained by the
 * caller incrementally as the XOR of per-operation random words (Zobrist
 * hashing), so lookups cost O(1) plus one bitset comparison on a hit.
 */

interface Configuration<S> {
  readonly bits: Uint32Array;
  readonly state: S;
}

export class ConfigurationMemo<S> {
  private readonly buckets = new Map<number, Configuration<S>[]>();
  /** Number of configurations remembered. */
  size = 0;

  constructor(
    private readonly equal: (a: S, b: S) => boolean,
    private readonly hash: (state: S) => number,
  ) {}

  /** Remembers a configuration; false if it was remembered already. `bits` is copied. */
  add(setHash: number, bits: Uint32Array, state: S): boolean {
    const key = setHash ^ Math.imul(this.hash(state), 0x9e3779b1);
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = [];
      this.buckets.set(key, bucket);
    } else {
      for (const c of bucket)
        if (sameBits(c.bits, bits) && this.equal(c.state, state)) return false;
    }
    bucket.push({ bits: bits.slice(), state });
    this.size++;
    return true;
  }
}

function sameBits(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Per-operation random words whose XOR hashes a set of operations. */
export function zobristKeys(n: number): Int32Array {
  const keys = new Int32Array(n);
  let x = 0x2545f491;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    keys[i] = x;
  }
  return keys;
}

export function toggleBit(bits: Uint32Array, i: number): void {
  bits[i >>> 5] = (bits[i >>> 5] as number) ^ (1 << (i & 31));
}
