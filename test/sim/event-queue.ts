/**
 * The simulator's event queue: a binary min-heap of events ordered by
 * (time, sequence). The sequence number is assigned at scheduling, so two
 * events due at the same simulated millisecond run in the order they were
 * scheduled — the tie-break that makes a seed replay exactly.
 */

export interface SimEvent {
  readonly atMs: number;
  readonly seq: number;
  /** Who the event belongs to (a node id, "net", "world"), for the trace. */
  readonly owner: string;
  readonly label: string;
  readonly run: () => void;
  cancelled: boolean;
}

export class EventQueue {
  private readonly heap: SimEvent[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(e: SimEvent): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i] as SimEvent, h[p] as SimEvent)) break;
      [h[i], h[p]] = [h[p] as SimEvent, h[i] as SimEvent];
      i = p;
    }
  }

  /** The earliest event, removed; undefined when empty. */
  pop(): SimEvent | undefined {
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
      if (l < h.length && before(h[l] as SimEvent, h[m] as SimEvent)) m = l;
      if (r < h.length && before(h[r] as SimEvent, h[m] as SimEvent)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m] as SimEvent, h[i] as SimEvent];
      i = m;
    }
    return top;
  }

  peek(): SimEvent | undefined {
    return this.heap[0];
  }
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}
