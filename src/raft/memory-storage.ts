/**
 * An in-memory `LogStorage` (etcd-io/raft storage.go MemoryStorage), used by
 * tests and the simulator. It also offers the writes a real store performs when
 * it persists a Ready: append, setHardState, applySnapshot, createSnapshot and
 * compact.
 *
 * Invariant: `ents[0]` is a dummy entry holding the index and term of the last
 * snapshot (or 0/0); real entries follow contiguously, so entry i lives at
 * ents[i - ents[0].index].
 */
import { assert, type LogIndex, logIndex, type Term, term } from "../lib/index.js";
import { limitSize } from "./entries.js";
import { type InitialState, type LogStorage, LogStorageError } from "./storage.js";
import {
  type ConfState,
  EMPTY_CONF_STATE,
  type Entry,
  type HardState,
  type Snapshot,
} from "./types.js";

const DUMMY: Entry = { term: term(0), index: logIndex(0), type: "normal", data: new Uint8Array() };

export class MemoryStorage implements LogStorage {
  private hardState: HardState = {
    term: term(0),
    vote: 0 as HardState["vote"],
    commit: logIndex(0),
  };
  private snap: Snapshot = {
    data: new Uint8Array(),
    metadata: { confState: EMPTY_CONF_STATE, index: logIndex(0), term: term(0) },
  };
  private ents: Entry[] = [DUMMY];

  initialState(): InitialState {
    return { hardState: this.hardState, confState: this.snap.metadata.confState };
  }

  /**
   * Sets the initial membership of a fresh storage (a new cluster's first
   * configuration), as if a snapshot at index 0 had recorded it.
   */
  bootstrap(cs: ConfState): void {
    assert(
      this.lastIndex() === 0 && this.snap.metadata.index === 0,
      "bootstrap of a non-empty storage",
    );
    this.snap = { ...this.snap, metadata: { ...this.snap.metadata, confState: cs } };
  }

  setHardState(hs: HardState): void {
    this.hardState = hs;
  }

  /** The current hard state (for tests and restarts). */
  getHardState(): HardState {
    return this.hardState;
  }

  entries(lo: LogIndex, hi: LogIndex, maxBytes: number): Entry[] {
    const offset = this.ents[0]!.index;
    if (lo <= offset) throw new LogStorageError("COMPACTED");
    if (hi > this.lastIndex() + 1) throw new LogStorageError("UNAVAILABLE");
    if (this.ents.length === 1) throw new LogStorageError("UNAVAILABLE");
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxBytes);
  }

  term(i: LogIndex): Term {
    const offset = this.ents[0]!.index;
    if (i < offset) throw new LogStorageError("COMPACTED");
    if (i - offset >= this.ents.length) throw new LogStorageError("UNAVAILABLE");
    return this.ents[i - offset]!.term;
  }

  firstIndex(): LogIndex {
    return logIndex(this.ents[0]!.index + 1);
  }

  lastIndex(): LogIndex {
    return logIndex(this.ents[0]!.index + this.ents.length - 1);
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Replaces the whole contents with `snap` (a follower installing a snapshot). */
  applySnapshot(snap: Snapshot): void {
    if (this.snap.metadata.index >= snap.metadata.index) {
      throw new LogStorageError("SNAPSHOT_OUT_OF_DATE");
    }
    this.snap = snap;
    this.ents = [{ ...DUMMY, term: snap.metadata.term, index: snap.metadata.index }];
  }

  /** Records a snapshot of the state machine at applied index `i` (≤ lastIndex). */
  createSnapshot(i: LogIndex, cs: ConfState | undefined, data: Uint8Array): Snapshot {
    if (i <= this.snap.metadata.index) throw new LogStorageError("SNAPSHOT_OUT_OF_DATE");
    assert(i <= this.lastIndex(), `snapshot ${i} is out of bound lastindex(${this.lastIndex()})`);
    const offset = this.ents[0]!.index;
    this.snap = {
      data,
      metadata: {
        index: i,
        term: this.ents[i - offset]!.term,
        confState: cs ?? this.snap.metadata.confState,
      },
    };
    return this.snap;
  }

  /** Discards entries before `compactIndex`; it must not exceed the last index. */
  compact(compactIndex: LogIndex): void {
    const offset = this.ents[0]!.index;
    if (compactIndex <= offset) throw new LogStorageError("COMPACTED");
    assert(compactIndex <= this.lastIndex(), `compact ${compactIndex} is out of bound`);
    const i = compactIndex - offset;
    const head = this.ents[i]!;
    this.ents = [{ ...DUMMY, index: head.index, term: head.term }, ...this.ents.slice(i + 1)];
  }

  /**
   * Appends `entries`, truncating any conflicting suffix. Entries already
   * compacted are skipped. The new entries must be contiguous with the log.
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const last = entries[0]!.index + entries.length - 1;
    if (last < first) return;
    const ents = first > entries[0]!.index ? entries.slice(first - entries[0]!.index) : entries;
    const offset = ents[0]!.index - this.ents[0]!.index;
    assert(
      offset <= this.ents.length,
      `missing log entry [last: ${this.lastIndex()}, append at: ${ents[0]!.index}]`,
    );
    // Appending at the end is the common case; only a conflict rebuilds the array.
    if (offset === this.ents.length) {
      for (const e of ents) this.ents.push(e);
    } else {
      this.ents = [...this.ents.slice(0, offset), ...ents];
    }
  }
}
