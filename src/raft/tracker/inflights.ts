/**
 * The append messages in flight to one follower, by count and by bytes
 * (etcd-io/raft tracker/inflights.go). The leader stops sending when either
 * limit is reached and frees entries as the follower acknowledges them.
 *
 * Invariants: the recorded indexes increase strictly; count ≤ size; bytes is
 * the sum of the recorded sizes.
 */
import { assert, type LogIndex, unreachable } from "../../lib/index.js";

export class Inflights {
  private indexes: LogIndex[] = [];
  private sizes: number[] = [];
  private head = 0;
  private bytesInFlight = 0;

  constructor(
    readonly size: number,
    readonly maxBytes: number,
  ) {
    assert(size > 0, "inflights size must be positive");
  }

  clone(): Inflights {
    const c = new Inflights(this.size, this.maxBytes);
    c.indexes = this.indexes.slice(this.head);
    c.sizes = this.sizes.slice(this.head);
    c.bytesInFlight = this.bytesInFlight;
    return c;
  }

  get count(): number {
    return this.indexes.length - this.head;
  }

  get bytes(): number {
    return this.bytesInFlight;
  }

  /** Records a message whose last entry is `index`, carrying `bytes` of entries. */
  add(index: LogIndex, bytes: number): void {
    assert(!this.full(), "cannot add into a full inflights");
    const last = this.indexes[this.indexes.length - 1];
    if (!(this.count === 0 || last === undefined || index > last)) {
      unreachable(`inflight index ${index} not increasing`);
    }
    this.indexes.push(index);
    this.sizes.push(bytes);
    this.bytesInFlight += bytes;
  }

  /** Frees every message whose last index is ≤ `to`. */
  freeLE(to: LogIndex): void {
    while (this.head < this.indexes.length && this.indexes[this.head]! <= to) {
      this.bytesInFlight -= this.sizes[this.head]!;
      this.head++;
    }
    if (this.head > 64 && this.head * 2 > this.indexes.length) {
      this.indexes = this.indexes.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
  }

  full(): boolean {
    return this.count >= this.size || this.bytesInFlight >= this.maxBytes;
  }

  reset(): void {
    this.indexes = [];
    this.sizes = [];
    this.head = 0;
    this.bytesInFlight = 0;
  }
}
