/**
 * `RangeLogStorage`: Raft's read-only `LogStorage` for one range, over the
 * store's `raft-log`, `raft-hard`, `raft-trunc` and `applied` sub-databases
 * and its log journal (log-journal.ts), where the newest entries may still be.
 *
 * The hot path never reads the engine: the hard state, truncated state, applied
 * state and last index live in memory, and so does the tail of the log (the
 * newest entries, as many as the store's `TailBudget` allows this range),
 * which is what a leader sends to followers and what apply reads. Older
 * entries are read from the engine on demand.
 *
 * The in-memory state changes only when a StoreBatch that carries this range's
 * writes has committed (see `StoreBatch`), so Raft never sees through this
 * interface anything that is not durable.
 *
 * Invariants: truncated.index < firstIndex() = truncated.index + 1 ≤
 * lastIndex() + 1; the tail is contiguous and ends at lastIndex();
 * hardState.commit ≤ lastIndex().
 *
 * The stored commit index may lag the applied index: a replica writes its
 * hard state when the term or vote changes, not for every commit (Raft's
 * commit index is volatile; every applied entry was committed). Loading lifts
 * it to the applied index, so Raft restarts with applied ≤ commit.
 */
import { assert, type LogIndex, logIndex, type RangeId, type Term } from "../lib/index.js";
import { type InitialState, type LogStorage, LogStorageError } from "../raft/index.js";
import type { ConfState, Entry, HardState, Snapshot } from "../raft/types.js";
import type { EngineDb } from "./engine.js";
import type { JournalReader } from "./log-journal.js";
import {
  type AppliedState,
  decodeEntry,
  logKey,
  logKeyIndex,
  type TruncatedState,
} from "./raft-codec.js";

/** Bytes counted per entry on top of its data when limiting reads by size. */
const ENTRY_OVERHEAD_BYTES = 16;

/**
 * How many of its newest entries a range keeps in memory. The store shares
 * one budget between its ranges (store.ts `tailLimit`), so it is asked again
 * at each trim rather than fixed at construction.
 */
export type TailLimit = () => number;

/**
 * A tail trims only once it holds this fraction of its limit more: one splice
 * per many appends, where trimming to the limit at every append moved the
 * whole array for each entry (a range taking about one entry per Ready
 * trimmed at every Ready). A limit under 4 is kept exactly.
 */
const TAIL_SLACK_FRACTION = 0.25;

export interface LogStorageState {
  readonly hardState: HardState;
  readonly truncated: TruncatedState;
  readonly applied: AppliedState;
  readonly lastIndex: LogIndex;
}

export class RangeLogStorage implements LogStorage {
  private hard: HardState;
  private trunc: TruncatedState;
  private appliedState: AppliedState;
  private last: LogIndex;
  /** The newest entries, contiguous, ending at `last`. */
  private tail: Entry[] = [];
  private readonly tailLimit: TailLimit;

  constructor(
    readonly rangeId: RangeId,
    private readonly logDb: EngineDb,
    state: LogStorageState,
    tailEntriesMax: number | TailLimit,
    /** The store's log journal, which holds the newest entries before raft-log does. */
    private readonly journal?: JournalReader,
  ) {
    this.tailLimit = typeof tailEntriesMax === "number" ? () => tailEntriesMax : tailEntriesMax;
    assert(this.tailLimit() > 0, "the tail limit must be positive");
    this.trunc = state.truncated;
    this.appliedState = state.applied;
    this.last = state.lastIndex;
    const hs = state.hardState;
    this.hard = hs.commit < state.applied.index ? { ...hs, commit: state.applied.index } : hs;
    assert(this.trunc.index <= this.last, `range ${rangeId}: truncated index beyond last index`);
    assert(
      this.appliedState.index <= this.last,
      `range ${rangeId}: applied index beyond the last index`,
    );
  }

  // --- LogStorage -----------------------------------------------------------

  initialState(): InitialState {
    return { hardState: this.hard, confState: this.appliedState.confState };
  }

  entries(lo: LogIndex, hi: LogIndex, maxBytes: number): Entry[] {
    if (lo <= this.trunc.index) throw new LogStorageError("COMPACTED");
    if (hi > this.last + 1) throw new LogStorageError("UNAVAILABLE");
    if (lo >= hi) return [];
    const tailStart = this.tailFirst();
    if (lo >= tailStart) {
      // All in memory (the common read: committed entries just appended): a
      // slice of the tail, cut at `maxBytes` (the first entry always goes).
      let end = lo + 1;
      let size = this.tail[lo - tailStart]!.data.byteLength + ENTRY_OVERHEAD_BYTES;
      for (; end < hi; end++) {
        size += this.tail[end - tailStart]!.data.byteLength + ENTRY_OVERHEAD_BYTES;
        if (size > maxBytes) break;
      }
      return this.tail.slice(lo - tailStart, end - tailStart);
    }
    const out: Entry[] = [];
    let size = 0;
    const take = (e: Entry): boolean => {
      size += e.data.byteLength + ENTRY_OVERHEAD_BYTES;
      if (out.length > 0 && size > maxBytes) return false;
      out.push(e);
      return true;
    };
    const tailFirst = this.tailFirst();
    let next = lo;
    if (next < tailFirst && this.journal?.holdsAny(this.rangeId, next, logIndex(tailFirst))) {
      // Some of them are still in the journal (which wins over raft-log): one by one.
      const end = Math.min(hi, tailFirst);
      for (; next < end; next = logIndex(next + 1)) {
        if (!take(decodeEntry(next, this.storedEntry(next)))) return out;
      }
    }
    if (next < tailFirst) {
      const end = Math.min(hi, tailFirst);
      for (const { key, value } of this.logDb.range({
        start: logKey(this.rangeId, next),
        end: logKey(this.rangeId, end),
      })) {
        const index = logKeyIndex(key);
        assert(index === next, `range ${this.rangeId}: log hole at ${next}`);
        if (!take(decodeEntry(index, value))) return out;
        next = logIndex(next + 1);
      }
      assert(next === end, `range ${this.rangeId}: log ends at ${next - 1}, expected ${end - 1}`);
    }
    for (; next < hi; next = logIndex(next + 1)) {
      if (!take(this.tail[next - tailFirst]!)) return out;
    }
    return out;
  }

  term(i: LogIndex): Term {
    if (i === this.trunc.index) return this.trunc.term;
    if (i < this.trunc.index) throw new LogStorageError("COMPACTED");
    if (i > this.last) throw new LogStorageError("UNAVAILABLE");
    const tailFirst = this.tailFirst();
    if (i >= tailFirst) return this.tail[i - tailFirst]!.term;
    return decodeEntry(i, this.storedEntry(i)).term;
  }

  /** Entry `i` as stored: in the journal if it is there, else in raft-log. */
  private storedEntry(i: LogIndex): Uint8Array {
    const bytes = this.journal?.get(this.rangeId, i) ?? this.logDb.get(logKey(this.rangeId, i));
    assert(bytes !== undefined, `range ${this.rangeId}: log entry ${i} is missing`);
    return bytes;
  }

  firstIndex(): LogIndex {
    return logIndex(this.trunc.index + 1);
  }

  lastIndex(): LogIndex {
    return this.last;
  }

  /**
   * The applied state: what a snapshot sent now would hold. The data of a
   * range's snapshot is streamed separately from its key span (DESIGN.md §5,
   * range/snapshot-*.ts), read at send time together with the then-durable
   * applied state, so it is empty here.
   */
  snapshot(): Snapshot {
    return {
      data: new Uint8Array(),
      metadata: {
        index: this.appliedState.index,
        term: this.appliedState.term,
        confState: this.appliedState.confState,
      },
    };
  }

  // --- what the store knows beyond Raft's interface -------------------------

  hardState(): HardState {
    return this.hard;
  }

  applied(): AppliedState {
    return this.appliedState;
  }

  truncated(): TruncatedState {
    return this.trunc;
  }

  confState(): ConfState {
    return this.appliedState.confState;
  }

  // --- called by StoreBatch once its transaction has committed --------------

  /** Entries were appended (a conflicting suffix from `entries[0].index` on replaced). */
  committedAppend(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = entries[0]!.index;
    assert(
      first <= this.last + 1,
      `range ${this.rangeId}: append at ${first} leaves a hole after ${this.last}`,
    );
    const tailFirst = this.tailFirst();
    if (this.tail.length > 0 && first >= tailFirst) this.tail.length = first - tailFirst;
    else this.tail = [];
    for (const e of entries) this.tail.push(e);
    this.last = entries[entries.length - 1]!.index;
    const limit = this.tailLimit();
    if (this.tail.length > limit + Math.floor(limit * TAIL_SLACK_FRACTION))
      this.tail.splice(0, this.tail.length - limit);
  }

  /** Entries held in memory (for stats and tests). */
  get tailLength(): number {
    return this.tail.length;
  }

  committedHardState(hs: HardState): void {
    this.hard = hs;
  }

  committedApplied(as: AppliedState): void {
    assert(as.index >= this.appliedState.index, `range ${this.rangeId}: applied index went back`);
    this.appliedState = as;
  }

  committedTruncation(ts: TruncatedState): void {
    assert(
      ts.index >= this.trunc.index && ts.index <= this.last,
      `range ${this.rangeId}: bad truncation`,
    );
    this.trunc = ts;
    const drop = ts.index + 1 - this.tailFirst();
    if (drop > 0) this.tail.splice(0, drop);
  }

  /** A snapshot was installed: the log restarts empty after its index. */
  committedSnapshot(as: AppliedState): void {
    this.appliedState = as;
    this.trunc = { index: as.index, term: as.term };
    this.last = as.index;
    this.tail = [];
    if (this.hard.commit < as.index) this.hard = { ...this.hard, commit: as.index };
  }

  /** The first index held in memory (lastIndex + 1 when the tail is empty). */
  private tailFirst(): number {
    return this.tail.length > 0 ? this.tail[0]!.index : this.last + 1;
  }
}
