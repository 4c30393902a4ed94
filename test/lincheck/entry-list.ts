/**
 * The entry list of Wing & Gong's search: the calls and returns of a history
 * in time order, as a doubly linked list that the search lifts operations out
 * of and puts back (Lowe 2017, §3). Lifting removes an operation's call entry
 * and its return entry; putting back reinserts them where they were. Because
 * the search undoes lifts in the reverse order it made them (a stack), each
 * removed entry still remembers its neighbours and reinsertion is O(1), as in
 * Knuth's dancing links.
 *
 * Order: by time; at equal times calls come before returns, so two operations
 * whose intervals only touch count as concurrent (the permissive reading, which
 * never reports a violation that a finer clock could explain away). An operation
 * with an unknown outcome (return = Infinity) has no return entry: nothing ever
 * forces it to be placed.
 *
 * Entries are indices into typed arrays; the sentinel `head` sits at index
 * `size` and `NIL` (-1) ends the list.
 */

export const NIL = -1;

export class EntryList {
  /** Number of entries (calls plus known returns); the head sentinel is at `size`. */
  readonly size: number;
  readonly head: number;
  readonly next: Int32Array;
  readonly prev: Int32Array;
  /** The operation each entry belongs to. */
  readonly opOf: Int32Array;
  /** For a call entry, its return entry (NIL if the outcome is unknown); -2 for a return entry. */
  readonly returnOf: Int32Array;

  constructor(calls: readonly number[], returns: readonly number[]) {
    const events: { time: number; isCall: boolean; op: number }[] = [];
    for (let op = 0; op < calls.length; op++) {
      const call = calls[op] as number;
      const ret = returns[op] as number;
      if (!Number.isFinite(call))
        throw new RangeError(`operation ${op}: call time ${call} is not finite`);
      if (Number.isNaN(ret) || ret < call) {
        throw new RangeError(`operation ${op}: return time ${ret} is before its call time ${call}`);
      }
      events.push({ time: call, isCall: true, op });
      if (ret !== Number.POSITIVE_INFINITY) events.push({ time: ret, isCall: false, op });
    }
    events.sort(
      (a, b) => a.time - b.time || (a.isCall === b.isCall ? a.op - b.op : a.isCall ? -1 : 1),
    );

    this.size = events.length;
    this.head = this.size;
    this.next = new Int32Array(this.size + 1);
    this.prev = new Int32Array(this.size + 1);
    this.opOf = new Int32Array(this.size);
    this.returnOf = new Int32Array(this.size).fill(NIL);
    const callEntry = new Int32Array(calls.length);
    events.forEach((ev, e) => {
      this.opOf[e] = ev.op;
      if (ev.isCall) callEntry[ev.op] = e;
      else {
        this.returnOf[e] = -2;
        this.returnOf[callEntry[ev.op] as number] = e;
      }
    });
    // head -> 0 -> 1 -> ... -> size-1 -> NIL
    this.next[this.head] = this.size > 0 ? 0 : NIL;
    this.prev[this.head] = NIL;
    for (let e = 0; e < this.size; e++) {
      this.prev[e] = e === 0 ? this.head : e - 1;
      this.next[e] = e + 1 < this.size ? e + 1 : NIL;
    }
  }

  isCall(entry: number): boolean {
    return (this.returnOf[entry] as number) !== -2;
  }

  /** Removes a call entry and its return entry (if any) from the list. */
  lift(call: number): void {
    this.unlink(call);
    const ret = this.returnOf[call] as number;
    if (ret !== NIL) this.unlink(ret);
  }

  /** Undoes the most recent `lift`, which must have been `lift(call)`. */
  unlift(call: number): void {
    const ret = this.returnOf[call] as number;
    if (ret !== NIL) this.relink(ret);
    this.relink(call);
  }

  private unlink(e: number): void {
    const p = this.prev[e] as number;
    const n = this.next[e] as number;
    this.next[p] = n;
    if (n !== NIL) this.prev[n] = p;
  }

  private relink(e: number): void {
    const p = this.prev[e] as number;
    const n = this.next[e] as number;
    this.next[p] = e;
    if (n !== NIL) this.prev[n] = e;
  }
}
