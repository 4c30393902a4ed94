/**
 * An ordered map from byte keys to byte values (unsigned byte order), kept as
 * two parallel sorted arrays and searched by bisection: the contents of one
 * simulated sub-database. Small data sets only; inserts are O(n).
 */
import { compareBytes } from "../../src/lib/index.js";
import type { EngineEntry, EngineRangeOptions } from "../../src/storage/index.js";

export class SortedBytesMap {
  private keys: Uint8Array[] = [];
  private values: Uint8Array[] = [];

  get size(): number {
    return this.keys.length;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const i = this.lowerBound(key);
    const k = this.keys[i];
    return k !== undefined && compareBytes(k, key) === 0 ? this.values[i] : undefined;
  }

  set(key: Uint8Array, value: Uint8Array): void {
    const i = this.lowerBound(key);
    const k = this.keys[i];
    if (k !== undefined && compareBytes(k, key) === 0) {
      this.values[i] = value;
      return;
    }
    this.keys.splice(i, 0, key);
    this.values.splice(i, 0, value);
  }

  delete(key: Uint8Array): void {
    const i = this.lowerBound(key);
    const k = this.keys[i];
    if (k !== undefined && compareBytes(k, key) === 0) {
      this.keys.splice(i, 1);
      this.values.splice(i, 1);
    }
  }

  *range(o: EngineRangeOptions): Iterable<EngineEntry> {
    const lo = o.start === undefined ? 0 : this.lowerBound(o.start);
    const hi = o.end === undefined ? this.keys.length : this.lowerBound(o.end);
    const limit = o.limit ?? Number.POSITIVE_INFINITY;
    let n = 0;
    if (o.reverse) {
      for (let i = hi - 1; i >= lo && n < limit; i--, n++) {
        yield { key: this.keys[i] as Uint8Array, value: this.values[i] as Uint8Array };
      }
    } else {
      for (let i = lo; i < hi && n < limit; i++, n++) {
        yield { key: this.keys[i] as Uint8Array, value: this.values[i] as Uint8Array };
      }
    }
  }

  /** Every entry in order (a snapshot: later changes do not show). */
  entries(): EngineEntry[] {
    return this.keys.map((key, i) => ({ key, value: this.values[i] as Uint8Array }));
  }

  clone(): SortedBytesMap {
    const c = new SortedBytesMap();
    c.keys = [...this.keys];
    c.values = [...this.values];
    return c;
  }

  bytes(): number {
    let n = 0;
    for (let i = 0; i < this.keys.length; i++) {
      n += (this.keys[i] as Uint8Array).length + (this.values[i] as Uint8Array).length;
    }
    return n;
  }

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
}
