/**
 * The vocabulary of the linearizability checker: an operation of a client
 * history, and the sequential specification (a `Model`) that operations are
 * checked against.
 *
 * An operation occupies the real-time interval [call, return]. Its outcome is
 * either known (it returned `output` at `return`) or unknown: a crash, a
 * timeout, a Jepsen `:info`. An unknown outcome is written as
 * `return = Infinity`; such an operation may take effect at any point after its
 * call, or never, and whatever output the model would give it is accepted. The
 * checker passes `UNKNOWN` to `Model.step` as the output of such an operation.
 *
 * A model is a deterministic sequential object: `step` takes a state, an input
 * and the output the operation returned, and gives the next state, or `ILLEGAL`
 * if that output is impossible from that state. For an `UNKNOWN` output `step`
 * must never answer `ILLEGAL`; the checker relies on it to stop as soon as every
 * operation with a known outcome is placed. States are compared with `equal` and
 * bucketed by `hash`, for the memo of visited configurations (Lowe 2017, §4).
 */

/** Marks the output of an operation whose outcome is unknown. */
export const UNKNOWN: unique symbol = Symbol("unknown output");
export type Unknown = typeof UNKNOWN;

/** What `Model.step` answers when the output is impossible from the state. */
export const ILLEGAL: unique symbol = Symbol("illegal step");
export type Illegal = typeof ILLEGAL;

export interface Operation<I, O> {
  readonly clientId: number;
  readonly input: I;
  /** Ignored (taken as `UNKNOWN`) when `return` is Infinity. */
  readonly output: O | Unknown;
  /** Time of the call; any unit, as long as the whole history uses one clock. */
  readonly call: number;
  /** Time of the return; Infinity for an unknown outcome. */
  readonly return: number;
}

/** A history split into independent sub-histories, each checked alone. */
export type Partitions<I, O> = ReadonlyMap<string, readonly Operation<I, O>[]>;

export interface Model<S, I, O> {
  readonly name: string;
  init(): S;
  step(state: S, input: I, output: O | Unknown): S | Illegal;
  equal(a: S, b: S): boolean;
  /** A 32-bit hash consistent with `equal`. */
  hash(state: S): number;
  /**
   * Splits a history into sub-histories whose linearizability is independent
   * (P-compositionality, Horn & Kroening 2015). Absent: one partition "*".
   */
  partition?(operations: readonly Operation<I, O>[]): Partitions<I, O>;
  /**
   * True if an operation with this input never changes the state (a read).
   * With its outcome unknown such an operation constrains nothing, so the
   * shrinker of a violation drops it rather than keep it as a free choice.
   */
  readOnly?(input: I): boolean;
  /** One operation in words, for reports: `set x 1 -> OK`. */
  describe?(input: I, output: O | Unknown): string;
}

/** A `Model.partition` that groups operations by the key their input names. */
export function partitionBy<I, O>(
  keyOf: (input: I) => string,
): (operations: readonly Operation<I, O>[]) => Partitions<I, O> {
  return (operations) => {
    const parts = new Map<string, Operation<I, O>[]>();
    for (const op of operations) {
      const key = keyOf(op.input);
      const list = parts.get(key);
      if (list === undefined) parts.set(key, [op]);
      else list.push(op);
    }
    return parts;
  };
}

/** The FNV-1a hash of a string, 32 bits; models use it to hash their states. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
