/**
 * The Raft log as one node sees it: the stable prefix in `LogStorage` followed
 * by the unstable suffix not yet persisted (etcd-io/raft log.go; paper §5.3).
 *
 * Invariants (asserted): applied ≤ applying ≤ committed ≤ lastIndex; the
 * committed index never decreases; an append never truncates a committed entry
 * (Log Matching and Leader Completeness, §5.3–§5.4).
 */
import { assert, type LogIndex, logIndex, type Term, term, unreachable } from "../lib/index.js";
import { entriesSize, limitSize } from "./entries.js";
import { Unstable } from "./log-unstable.js";
import { isLogStorageError, type LogStorage, LogStorageError } from "./storage.js";
import type { Entry, Snapshot } from "./types.js";

export class RaftLog {
  readonly unstable: Unstable;
  /** The highest index known to be committed on a quorum. */
  committed: LogIndex;
  /** The highest index handed to the application for applying. */
  applying: LogIndex;
  /** The highest index the application has applied. */
  applied: LogIndex;

  constructor(
    readonly storage: LogStorage,
    private readonly maxApplyingEntsSize: number,
  ) {
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable(logIndex(last + 1));
    this.committed = logIndex(first - 1);
    this.applying = logIndex(first - 1);
    this.applied = logIndex(first - 1);
  }

  toString(): string {
    return `committed=${this.committed}, applied=${this.applied}, applying=${this.applying}, unstable.offset=${this.unstable.offset}, unstable.offsetInProgress=${this.unstable.offsetInProgress}, len(unstable.entries)=${this.unstable.entries.length}`;
  }

  /**
   * Appends `ents` after (index, logTerm) if that entry matches (§5.3 consistency
   * check); returns the index of the last new entry, or undefined on mismatch.
   */
  maybeAppend(
    index: LogIndex,
    logTerm: Term,
    committed: LogIndex,
    ents: readonly Entry[],
  ): LogIndex | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = logIndex(index + ents.length);
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      if (!(ci > this.committed)) {
        unreachable(`entry ${ci} conflicts with committed entry [committed(${this.committed})]`);
      }
      const offset = index + 1;
      assert(ci - offset <= ents.length, `index ${ci - offset} is out of range [${ents.length}]`);
      this.append(ents.slice(ci - offset));
    }
    this.commitTo(logIndex(Math.min(committed, lastNew)));
    return lastNew;
  }

  append(ents: readonly Entry[]): LogIndex {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0]!.index - 1;
    if (!(after >= this.committed)) {
      unreachable(`after(${after}) is out of range [committed(${this.committed})]`);
    }
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /**
   * The index of the first entry of `ents` that conflicts with the log (same
   * index, different term), or of the first new entry; 0 if all are present.
   */
  findConflict(ents: readonly Entry[]): LogIndex {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return logIndex(0);
  }

  /**
   * The largest index ≤ `index` whose term is ≤ `t`, with that term: the basis
   * of fast conflict backtracking (etcd findConflictByTerm; paper §5.3 end).
   */
  findConflictByTerm(index: LogIndex, t: Term): { index: LogIndex; term: Term } {
    for (let i = index; i > 0; i--) {
      const ourTerm = this.termOrUndefined(logIndex(i));
      if (ourTerm === undefined) return { index: logIndex(i), term: term(0) };
      if (ourTerm <= t) return { index: logIndex(i), term: ourTerm };
    }
    return { index: logIndex(0), term: term(0) };
  }

  nextUnstableEnts(): Entry[] {
    return this.unstable.nextEntries();
  }

  hasNextUnstableEnts(): boolean {
    return this.nextUnstableEnts().length > 0;
  }

  hasNextOrInProgressUnstableEnts(): boolean {
    return this.unstable.entries.length > 0;
  }

  /** Committed entries ready to be applied; unstable ones only if `allowUnstable`. */
  nextCommittedEnts(allowUnstable: boolean): Entry[] {
    if (this.hasNextOrInProgressSnapshot()) return [];
    const lo = this.applying + 1;
    const hi = this.maxAppliableIndex(allowUnstable) + 1;
    if (lo >= hi) return [];
    return this.slice(logIndex(lo), logIndex(hi), this.maxApplyingEntsSize);
  }

  hasNextCommittedEnts(allowUnstable: boolean): boolean {
    if (this.hasNextOrInProgressSnapshot()) return false;
    return this.applying + 1 < this.maxAppliableIndex(allowUnstable) + 1;
  }

  private maxAppliableIndex(allowUnstable: boolean): LogIndex {
    let hi = this.committed;
    if (!allowUnstable) hi = logIndex(Math.min(hi, this.unstable.offset - 1));
    return hi;
  }

  nextUnstableSnapshot(): Snapshot | undefined {
    return this.unstable.nextSnapshot();
  }

  hasNextUnstableSnapshot(): boolean {
    return this.unstable.nextSnapshot() !== undefined;
  }

  hasNextOrInProgressSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  firstIndex(): LogIndex {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): LogIndex {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  commitTo(toCommit: LogIndex): void {
    // The committed index never decreases.
    if (this.committed < toCommit) {
      if (!(this.lastIndex() >= toCommit)) {
        unreachable(
          `tocommit(${toCommit}) is out of range [lastIndex(${this.lastIndex()})]. Was the raft log corrupted, truncated, or lost?`,
        );
      }
      this.committed = toCommit;
    }
  }

  appliedTo(i: LogIndex): void {
    if (i === 0) return;
    if (!(this.committed >= i && i >= this.applied)) {
      unreachable(
        `applied(${i}) is out of range [prevApplied(${this.applied}), committed(${this.committed})]`,
      );
    }
    this.applied = i;
    this.applying = logIndex(Math.max(this.applying, i));
  }

  acceptApplying(i: LogIndex): void {
    assert(this.committed >= i, `applying(${i}) is out of range [committed(${this.committed})]`);
    this.applying = i;
  }

  stableTo(i: LogIndex, t: Term): void {
    this.unstable.stableTo(i, t);
  }

  stableSnapTo(i: LogIndex): void {
    this.unstable.stableSnapTo(i);
  }

  acceptUnstable(): void {
    this.unstable.acceptInProgress();
  }

  lastTerm(): Term {
    const t = this.termOrUndefined(this.lastIndex());
    assert(t !== undefined, "unexpected error when getting the last term");
    return t;
  }

  /** The term of entry `i`; throws a LogStorageError (COMPACTED/UNAVAILABLE) if unknown. */
  term(i: LogIndex): Term {
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    // The valid term range is [firstIndex-1, lastIndex]; the dummy entry's term is kept.
    if (i + 1 < this.firstIndex()) throw new LogStorageError("COMPACTED");
    if (i > this.lastIndex()) throw new LogStorageError("UNAVAILABLE");
    return this.storage.term(i);
  }

  /** The term of entry `i`, or undefined if it is compacted or beyond the log. */
  termOrUndefined(i: LogIndex): Term | undefined {
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    if (i + 1 < this.firstIndex() || i > this.lastIndex()) return undefined;
    try {
      return this.storage.term(i);
    } catch (e) {
      if (isLogStorageError(e, "COMPACTED") || isLogStorageError(e, "UNAVAILABLE"))
        return undefined;
      throw e;
    }
  }

  /** Entries from `i` to the end, at most `maxBytes`; throws COMPACTED if `i` was compacted. */
  entries(i: LogIndex, maxBytes: number): Entry[] {
    if (i > this.lastIndex()) return [];
    return this.slice(i, logIndex(this.lastIndex() + 1), maxBytes);
  }

  allEntries(): Entry[] {
    for (;;) {
      try {
        return this.entries(this.firstIndex(), Number.MAX_SAFE_INTEGER);
      } catch (e) {
        // A concurrent compaction moved the first index; try again.
        if (!isLogStorageError(e, "COMPACTED")) throw e;
      }
    }
  }

  /** Whether a log ending at (lasti, t) is at least as up-to-date as ours (§5.4.1). */
  isUpToDate(lasti: LogIndex, t: Term): boolean {
    const lastTerm = this.lastTerm();
    return t > lastTerm || (t === lastTerm && lasti >= this.lastIndex());
  }

  matchTerm(i: LogIndex, t: Term): boolean {
    const ours = this.termOrUndefined(i);
    return ours !== undefined && ours === t;
  }

  /** Commits `maxIndex` if its entry is of term `t` (§5.4.2: only current-term entries by counting). */
  maybeCommit(maxIndex: LogIndex, t: Term): boolean {
    if (maxIndex > this.committed && (this.termOrUndefined(maxIndex) ?? 0) === t) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  restore(s: Snapshot): void {
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }

  /** Entries in [lo, hi), at most `maxBytes` (at least one); throws COMPACTED below firstIndex. */
  slice(lo: LogIndex, hi: LogIndex, maxBytes: number): Entry[] {
    this.checkOutOfBounds(lo, hi);
    if (lo === hi) return [];
    const uOffset = this.unstable.offset;
    if (lo >= uOffset) return limitSize(this.unstable.slice(lo, hi), maxBytes);
    const cut = logIndex(Math.min(hi, uOffset));
    let ents: Entry[];
    try {
      ents = this.storage.entries(lo, cut, maxBytes);
    } catch (e) {
      if (isLogStorageError(e, "UNAVAILABLE")) {
        unreachable(`entries[${lo}:${cut}) is unavailable from storage`);
      }
      throw e;
    }
    if (hi <= uOffset) return ents;
    // Storage hit the size limit before reaching the unstable part.
    if (ents.length < cut - lo) return ents;
    const size = entriesSize(ents);
    if (size >= maxBytes) return ents;
    const more = limitSize(this.unstable.slice(uOffset, hi), maxBytes - size);
    if (more.length === 1 && size + entriesSize(more) > maxBytes) return ents;
    return ents.concat(more);
  }

  private checkOutOfBounds(lo: LogIndex, hi: LogIndex): void {
    if (lo > hi) unreachable(`invalid slice ${lo} > ${hi}`);
    const fi = this.firstIndex();
    if (lo < fi) throw new LogStorageError("COMPACTED");
    const last = this.lastIndex();
    if (hi > last + 1) unreachable(`slice[${lo},${hi}) out of bound [${fi},${last}]`);
  }
}
