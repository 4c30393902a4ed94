/**
 * The unstable part of the Raft log: entries (and possibly one snapshot) that
 * Raft has accepted but the caller has not yet persisted (etcd-io/raft
 * log_unstable.go).
 *
 * Invariants: `entries[i]` has index `offset + i`; if a snapshot is held, it
 * precedes the entries (`snapshot.index + 1 == offset`). Entries from
 * `offsetInProgress` on have not yet been handed to storage; entries before it
 * are being written (async mode) and stay readable until `stableTo`.
 */
import { type LogIndex, logIndex, type Term, unreachable } from "../lib/index.js";
import type { Entry, Snapshot } from "./types.js";

export class Unstable {
  snapshot: Snapshot | undefined = undefined;
  entries: Entry[] = [];
  offset: LogIndex;
  snapshotInProgress = false;
  offsetInProgress: LogIndex;

  constructor(offset: LogIndex) {
    this.offset = offset;
    this.offsetInProgress = offset;
  }

  /** The first index, known only if a snapshot is held. */
  maybeFirstIndex(): LogIndex | undefined {
    return this.snapshot ? logIndex(this.snapshot.metadata.index + 1) : undefined;
  }

  /** The last index, known if entries or a snapshot are held. */
  maybeLastIndex(): LogIndex | undefined {
    if (this.entries.length > 0) return logIndex(this.offset + this.entries.length - 1);
    return this.snapshot?.metadata.index;
  }

  maybeTerm(i: LogIndex): Term | undefined {
    if (i < this.offset) {
      if (this.snapshot && this.snapshot.metadata.index === i) return this.snapshot.metadata.term;
      return undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || i > last) return undefined;
    return this.entries[i - this.offset]!.term;
  }

  /** Entries not yet handed to storage. */
  nextEntries(): Entry[] {
    const inProgress = this.offsetInProgress - this.offset;
    if (this.entries.length === inProgress) return [];
    return this.entries.slice(inProgress);
  }

  nextSnapshot(): Snapshot | undefined {
    if (!this.snapshot || this.snapshotInProgress) return undefined;
    return this.snapshot;
  }

  /** Marks everything now held as handed to storage. */
  acceptInProgress(): void {
    if (this.entries.length > 0) {
      this.offsetInProgress = logIndex(this.entries[this.entries.length - 1]!.index + 1);
    }
    if (this.snapshot) this.snapshotInProgress = true;
  }

  /** Storage has persisted entries up to (index, term); drop them if still current. */
  stableTo(index: LogIndex, t: Term): void {
    const gt = this.maybeTerm(index);
    if (gt === undefined || index < this.offset) return;
    // A term mismatch means the entry was replaced after it was written; keep it.
    if (gt !== t) return;
    const num = index + 1 - this.offset;
    this.entries = this.entries.slice(num);
    this.offset = logIndex(index + 1);
    this.offsetInProgress = logIndex(Math.max(this.offsetInProgress, this.offset));
  }

  stableSnapTo(i: LogIndex): void {
    if (this.snapshot && this.snapshot.metadata.index === i) {
      this.snapshot = undefined;
      this.snapshotInProgress = false;
    }
  }

  restore(s: Snapshot): void {
    this.offset = logIndex(s.metadata.index + 1);
    this.offsetInProgress = this.offset;
    this.entries = [];
    this.snapshot = s;
    this.snapshotInProgress = false;
  }

  truncateAndAppend(ents: readonly Entry[]): void {
    const from = ents[0]!.index;
    if (from === this.offset + this.entries.length) {
      this.entries = this.entries.concat(ents);
    } else if (from <= this.offset) {
      // The log is being replaced from `from` on: the unstable part is rewritten.
      this.entries = ents.slice();
      this.offset = from;
      this.offsetInProgress = this.offset;
    } else {
      const keep = this.slice(this.offset, from);
      this.entries = keep.concat(ents);
      this.offsetInProgress = logIndex(Math.min(this.offsetInProgress, from));
    }
  }

  slice(lo: LogIndex, hi: LogIndex): Entry[] {
    const upper = this.offset + this.entries.length;
    if (!(lo <= hi && this.offset <= lo && hi <= upper)) {
      unreachable(`unstable.slice[${lo},${hi}) out of bound [${this.offset},${upper}]`);
    }
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
