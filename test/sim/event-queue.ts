/**
 * The simulator's event queue: a binary min-heap of events ordered by
 * (time, sequence). The sequence number is assigned at scheduling, so two
 * events due at the same simulated millisecond run in the order they were
 * scheduled — the tie-break that makes a seed replay exactly.
 */
import { MinHeap } from "../../src/lib/index.js";

export interface SimEvent {
  /** When it runs; a stall of its owner moves it later (world.ts `stall`). */
  atMs: number;
  seq: number;
  /** Who the event belongs to (a node id, "net", "world"), for the trace. */
  readonly owner: string;
  readonly label: string;
  readonly run: () => void;
  cancelled: boolean;
}

export class EventQueue {
  private readonly heap = new MinHeap<SimEvent>(before);

  get size(): number {
    return this.heap.size;
  }

  push(e: SimEvent): void {
    this.heap.push(e);
  }

  /** The earliest event, removed; undefined when empty. */
  pop(): SimEvent | undefined {
    return this.heap.pop();
  }

  peek(): SimEvent | undefined {
    return this.heap.peek();
  }
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}
