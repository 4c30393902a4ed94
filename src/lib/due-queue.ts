/**
 * A binary min-heap (`MinHeap`, ordered by a `before` relation) and on it
 * `DueQueue`: items keyed by the time they fall due, taken in time order. For
 * background work spread over many ranges, where visiting every range on
 * every tick would cost in proportion to ranges rather than to what is due.
 * (The simulator's event queue is a `MinHeap` too.)
 *
 * A `DueQueue` item may be queued more than once (its time moved); the
 * consumer checks, when it takes one, whether it is still due for that time.
 */

export class MinHeap<T> {
  private readonly heap: T[] = [];

  /** `before(a, b)`: a comes out first. Items equal both ways come out in no set order. */
  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.heap.length;
  }

  push(item: T): void {
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  /** The first item, left in place; undefined when empty. */
  peek(): T | undefined {
    return this.heap[0];
  }

  /** The first item, removed; undefined when empty. */
  pop(): T | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.before(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.before(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
    return top;
  }
}

interface Due<T> {
  readonly atMs: number;
  readonly item: T;
}

export class DueQueue<T> {
  private readonly heap = new MinHeap<Due<T>>((a, b) => a.atMs < b.atMs);

  get size(): number {
    return this.heap.size;
  }

  push(atMs: number, item: T): void {
    this.heap.push({ atMs, item });
  }

  /** The earliest item due at or before `nowMs`, removed; undefined when none is. */
  popDue(nowMs: number): Due<T> | undefined {
    const top = this.heap.peek();
    if (top === undefined || top.atMs > nowMs) return undefined;
    return this.heap.pop();
  }
}
