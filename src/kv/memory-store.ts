/**
 * An in-memory, ordered `KvWriter`: internal keys kept sorted in an array and
 * found by binary search. It is the store of unit tests and of the simulator,
 * where it stands in for an LMDB transaction, so it follows the same contract:
 * keys in unsigned byte order, reads see earlier writes, `scan` yields
 * `start <= key < end` in order.
 *
 * Invariants: `keys` is strictly increasing under `compareBytes`; `values[i]`
 * belongs to `keys[i]`. Stored bytes are copied on the way in, so callers may
 * reuse their buffers. Inserting is O(n) (an array splice): fine for tests and
 * simulated clusters, not for production data sizes.
 */
import { compareBytes } from "../lib/index.js";
import type { KvWriter } from "../storage/types.js";

export class MemoryKvStore implements KvWriter {
  private keys: Uint8Array[] = [];
  private values: Uint8Array[] = [];

  /** Index of the first key >= `key`. */
  private lowerBound(key: Uint8Array): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareBytes(this.keys[mid] as Uint8Array, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get size(): number {
    return this.keys.length;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const i = this.lowerBound(key);
    const k = this.keys[i];
    return k !== undefined && compareBytes(k, key) === 0 ? this.values[i] : undefined;
  }

  *scan(
    start: Uint8Array,
    end: Uint8Array,
    limit: number,
  ): Iterable<{ key: Uint8Array; value: Uint8Array }> {
    // Re-seek after each yield, so writes made between steps are safe.
    let from = start;
    let inclusive = true;
    for (let n = 0; n < limit; n++) {
      let i = this.lowerBound(from);
      if (
        !inclusive &&
        i < this.keys.length &&
        compareBytes(this.keys[i] as Uint8Array, from) === 0
      )
        i++;
      const key = this.keys[i];
      if (key === undefined || compareBytes(key, end) >= 0) return;
      yield { key, value: this.values[i] as Uint8Array };
      from = key;
      inclusive = false;
    }
  }

  count(start: Uint8Array, end: Uint8Array): number {
    if (compareBytes(start, end) >= 0) return 0;
    return this.lowerBound(end) - this.lowerBound(start);
  }

  put(key: Uint8Array, record: Uint8Array): void {
    const i = this.lowerBound(key);
    const k = this.keys[i];
    // Copies, as plain arrays (a Buffer's own `slice` would share the caller's memory).
    if (k !== undefined && compareBytes(k, key) === 0) {
      this.values[i] = new Uint8Array(record);
      return;
    }
    this.keys.splice(i, 0, new Uint8Array(key));
    this.values.splice(i, 0, new Uint8Array(record));
  }

  delete(key: Uint8Array): void {
    const i = this.lowerBound(key);
    const k = this.keys[i];
    if (k !== undefined && compareBytes(k, key) === 0) {
      this.keys.splice(i, 1);
      this.values.splice(i, 1);
    }
  }

  deleteRange(start: Uint8Array, end: Uint8Array): void {
    if (compareBytes(start, end) >= 0) return;
    const i = this.lowerBound(start);
    const j = this.lowerBound(end);
    this.keys.splice(i, j - i);
    this.values.splice(i, j - i);
  }

  /** Every entry in order (for tests and snapshots of the simulator). */
  entries(): { key: Uint8Array; value: Uint8Array }[] {
    return this.keys.map((key, i) => ({ key, value: this.values[i] as Uint8Array }));
  }
}
