/**
 * The search for a linearization of one (sub-)history: Wing & Gong's
 * backtracking algorithm with Lowe's improvements: the entry list that
 * operations are lifted out of, and a memo of the configurations already
 * explored, a configuration being the set of operations linearized so far and
 * the model state they lead to (the approach the Porcupine checker also takes).
 *
 *   J. M. Wing and C. Gong, "Testing and verifying concurrent objects",
 *     J. Parallel and Distributed Computing 17(1-2), 1993.
 *   G. Lowe, "Testing for linearizability", Concurrency and Computation:
 *     Practice and Experience 29(4), 2017.
 *
 * The loop walks the entry list from its head. At a call entry it tries to
 * linearize that operation next: if the model accepts it and the resulting
 * configuration is new, the operation is lifted out, pushed on the stack, and
 * the walk restarts at the head. At a return entry it has reached an operation
 * that had to take effect by now but was not linearized, so the last choice is
 * undone (popped and put back) and the walk continues after it. The history is
 * linearizable once every operation with a known outcome is placed: the model
 * must accept any output for the unknown rest, which can take effect after all
 * others, or never. It is not linearizable when a return entry is reached with
 * nothing left to undo.
 *
 * Pure: no clock, no I/O. Time is spent only through `outOfTime`, polled every
 * `POLL_STEPS` iterations, and `stepsMax` bounds the work deterministically;
 * memory is bounded by `cacheEntriesMax`.
 */
import { assert } from "../../src/lib/assert.js";
import { EntryList, NIL } from "./entry-list.js";
import { ConfigurationMemo, toggleBit, zobristKeys } from "./memo.js";
import { ILLEGAL, type Model, type Operation, UNKNOWN, type Unknown } from "./model.js";

export interface SearchLimits {
  /** Polled now and then; true ends the search with outcome "unknown". */
  readonly outOfTime: () => boolean;
  /** Most configurations remembered before giving up with outcome "unknown". */
  readonly cacheEntriesMax: number;
  /** Most iterations of the search loop before giving up (default: no limit). */
  readonly stepsMax?: number;
}

export type SearchResult =
  /**
   * `order`: the indices of the operations in a valid linearization order;
   * an operation of unknown outcome left out takes effect after all, or never.
   */
  | { readonly outcome: "ok"; readonly order: readonly number[]; readonly steps: number }
  /** `prefix`: the deepest linearization found; `stuck`: the operation it could not place next. */
  | {
      readonly outcome: "illegal";
      readonly prefix: readonly number[];
      readonly stuck: number;
      readonly steps: number;
    }
  | {
      readonly outcome: "unknown";
      readonly reason: "time" | "memory" | "steps";
      readonly steps: number;
    };

const POLL_STEPS = 1024;

export function searchLinearization<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly Operation<I, O>[],
  limits: SearchLimits,
): SearchResult {
  const list = new EntryList(
    ops.map((op) => op.call),
    ops.map((op) => op.return),
  );
  const outputs = ops.map((op) => (op.return === Number.POSITIVE_INFINITY ? UNKNOWN : op.output));
  const zobrist = zobristKeys(ops.length);
  const bits = new Uint32Array((ops.length + 31) >>> 5);
  const memo = new ConfigurationMemo<S>(
    (a, b) => model.equal(a, b),
    (s) => model.hash(s),
  );
  const stepsMax = limits.stepsMax ?? Number.POSITIVE_INFINITY;

  // The linearization so far: lifted call entries, and the state before each.
  const stackEntry: number[] = [];
  const stackState: S[] = [];
  let state = model.init();
  let setHash = 0;
  let mustPlace = ops.filter((op) => op.return !== Number.POSITIVE_INFINITY).length;
  let best = { prefix: [] as number[], stuck: -1 };
  let steps = 0;

  let entry = list.next[list.head] as number;
  while (mustPlace > 0) {
    if (++steps % POLL_STEPS === 0 && limits.outOfTime())
      return { outcome: "unknown", reason: "time", steps };
    if (steps > stepsMax) return { outcome: "unknown", reason: "steps", steps };
    assert(entry !== NIL, "the entry list ended with operations still to place");
    const op = list.opOf[entry] as number;
    if (list.isCall(entry)) {
      // Try `op` as the next operation to take effect.
      const next = model.step(
        state,
        (ops[op] as Operation<I, O>).input,
        outputs[op] as O | Unknown,
      );
      if (next !== ILLEGAL) {
        toggleBit(bits, op);
        const nextSetHash = setHash ^ (zobrist[op] as number);
        if (memo.add(nextSetHash, bits, next)) {
          if (memo.size > limits.cacheEntriesMax)
            return { outcome: "unknown", reason: "memory", steps };
          stackEntry.push(entry);
          stackState.push(state);
          state = next;
          setHash = nextSetHash;
          list.lift(entry);
          if ((list.returnOf[entry] as number) !== NIL) mustPlace--;
          entry = list.next[list.head] as number;
          continue;
        }
        toggleBit(bits, op);
      }
      entry = list.next[entry] as number;
      continue;
    }
    // A return entry: `op` had to take effect by now and has not. Undo the last choice.
    if (stackEntry.length > best.prefix.length || best.stuck === -1) {
      best = { prefix: stackEntry.map((e) => list.opOf[e] as number), stuck: op };
    }
    const undone = stackEntry.pop();
    if (undone === undefined) return { outcome: "illegal", ...best, steps };
    const undoneOp = list.opOf[undone] as number;
    state = stackState.pop() as S;
    toggleBit(bits, undoneOp);
    setHash ^= zobrist[undoneOp] as number;
    list.unlift(undone);
    if ((list.returnOf[undone] as number) !== NIL) mustPlace++;
    entry = list.next[undone] as number;
  }
  return { outcome: "ok", order: stackEntry.map((e) => list.opOf[e] as number), steps };
}
