/**
 * `DueQueue`: items keyed by the time they fall due, taken in time order (a
 * binary min-heap). For background work spread over many ranges, where
 * visiting every range on every tick would cost in proportion to ranges
 * rather than to what is due.
 *
 * An item may be queued more than once (its time moved); the consumer
 * checks, when it takes one, whether it is still due for that time.
 */

interface Due<T> {
  readonly atMs: number;
  readonly item: T;
}

export class DueQueue<T> {
  private readonly heap: Due<T>[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(atMs: number, item: T): void {
    const h = this.heap;
    h.push({ atMs, item });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.atMs <= h[i]!.atMs) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  /** The earliest item due at or before `nowMs`, removed; undefined when none is. */
  popDue(nowMs: number): Due<T> | undefined {
    const h = this.heap;
    const top = h[0];
    if (top === undefined || top.atMs > nowMs) return undefined;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]!.atMs < h[m]!.atMs) m = l;
        if (r < h.length && h[r]!.atMs < h[m]!.atMs) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
