/**
 * `LogJournal`: where a store appends the Raft log entries of all its ranges
 * first — one run of keys in order of writing, shared by every range — before
 * they move, in bulk, to each range's own run of keys in `raft-log`.
 *
 * Why: LMDB is a copy-on-write B+tree, so a transaction writes every page it
 * touches. A range's log is its own run of keys (`rangeId | index`), so a
 * store round that appends one entry to each of 30 ranges touches 30 leaf
 * pages (and the branch pages above them), where 30 entries of one range fill
 * one or two: with many ranges each taking about one write per round, the
 * log's page writes were most of what a write cost. Here a round's entries,
 * whatever their ranges, go to the end of one run (one or two pages); every
 * `recordsMax` records (or `bytesMax` bytes) a round also moves them all to
 * their ranges' runs — one page write per range for hundreds of entries —
 * and empties the journal. (A node-wide write-ahead log shared by all ranges
 * is what LSM-based multi-Raft stores get from their engine; this is that
 * idea over a B+tree.)
 *
 * The durable log of a range is its entries in `raft-log` overlaid by its
 * records here: a record wins over a `raft-log` key of the same index, and
 * every operation that deletes a range's entries deletes its records in the
 * same transaction (`removeFrom` for a conflicting suffix, `truncateTo` for
 * compaction, `dropRange` for a snapshot, a removal or a merge). So moving a
 * record never changes the log, and a store that stops (or crashes) with
 * records in the journal opens with the same logs: it takes them back into
 * memory (`load`) and moves them with the next checkpoint.
 * An entry bigger than `entryBytesMax` is written to `raft-log` directly:
 * it fills pages of its own either way, and would only be written twice. So
 * is an append of more than `appendEntriesMax` entries of one range (a busy
 * range's round): its entries share their pages of `raft-log` already.
 *
 * Every record of the journal is also held here in memory (the journal is
 * bounded), so moving them reads nothing and a read of an entry no longer in
 * a range's in-memory tail looks here before `raft-log`. Changes are made
 * inside the store's write transaction, as the transaction makes them; if the
 * transaction's work throws (and is aborted), `end(false)` undoes them.
 */
import { assert, type LogIndex, type RangeId } from "../lib/index.js";
import type { Entry } from "../raft/types.js";
import type { EngineDb } from "./engine.js";
import {
  decodeJournalRecord,
  decodeRangeKey,
  encodedEntryBytes,
  encodeEntry,
  journalRecordOf,
  logKey,
  rangeKey,
} from "./raft-codec.js";

/** A record's key: its sequence number, as a range key is laid out (u64 BE). */
const seqKey = rangeKey;

/** Records after which a round moves the journal to the ranges' logs. */
export const JOURNAL_RECORDS_MAX = 1024;
/** Bytes of records after which a round moves the journal to the ranges' logs. */
export const JOURNAL_BYTES_MAX = 4 * 1024 * 1024;
/** An encoded entry bigger than this goes to its range's log directly. */
export const JOURNAL_ENTRY_BYTES_MAX = 4096;
/** An append of more entries of one range than this goes to its range's log directly. */
export const JOURNAL_APPEND_ENTRIES_MAX = 8;

export interface LogJournalLimits {
  readonly recordsMax: number;
  readonly bytesMax: number;
  readonly entryBytesMax: number;
  readonly appendEntriesMax: number;
}

export const DEFAULT_JOURNAL_LIMITS: LogJournalLimits = {
  recordsMax: JOURNAL_RECORDS_MAX,
  bytesMax: JOURNAL_BYTES_MAX,
  entryBytesMax: JOURNAL_ENTRY_BYTES_MAX,
  appendEntriesMax: JOURNAL_APPEND_ENTRIES_MAX,
};

/** What `RangeLogStorage` reads of the journal. */
export interface JournalReader {
  /** The stored entry (as `encodeEntry` made it) of `range` at `index`, if the journal holds it. */
  get(range: RangeId, index: LogIndex): Uint8Array | undefined;
  /** Whether the journal holds any entry of `range` in [lo, hi). */
  holdsAny(range: RangeId, lo: LogIndex, hi: LogIndex): boolean;
}

interface Held {
  readonly seq: number;
  readonly entry: Uint8Array;
}

/** The records of one range: indexes within [lo, hi], with holes where entries went direct. */
interface RangeRecords {
  readonly byIndex: Map<number, Held>;
  lo: number;
  hi: number;
}

export class LogJournal implements JournalReader {
  private byRange = new Map<RangeId, RangeRecords>();
  private nextSeq = 1;
  private records = 0;
  private bytes = 0;
  /** Undo steps of the transaction in progress (between `begin` and `end`). */
  private undo: (() => void)[] | undefined;
  private checkpoints = 0;

  constructor(
    private readonly journalDb: EngineDb,
    private readonly logDb: EngineDb,
    private readonly limits: LogJournalLimits = DEFAULT_JOURNAL_LIMITS,
  ) {}

  /**
   * When the store opens, before any range's log is loaded: takes the records
   * a store that stopped left in the journal (they stay there until the next
   * move). Reads only, so a store opened over a read-only view works too. A
   * damaged record throws CORRUPTION (the store does not open).
   */
  load(): void {
    assert(this.records === 0, "journal loaded twice");
    for (const { key, value } of this.journalDb.range({})) {
      const seq = decodeRangeKey(key);
      const record = decodeJournalRecord(value);
      this.hold(record.range, record.index, { seq, entry: record.entry });
      this.nextSeq = Math.max(this.nextSeq, seq + 1);
    }
  }

  // --- reads ---------------------------------------------------------------------

  get(range: RangeId, index: LogIndex): Uint8Array | undefined {
    return this.byRange.get(range)?.byIndex.get(index)?.entry;
  }

  holdsAny(range: RangeId, lo: LogIndex, hi: LogIndex): boolean {
    const r = this.byRange.get(range);
    return r !== undefined && r.lo < hi && r.hi >= lo;
  }

  /** The highest index the journal holds of `range`, or 0. */
  lastIndex(range: RangeId): number {
    return this.byRange.get(range)?.hi ?? 0;
  }

  get recordsHeld(): number {
    return this.records;
  }

  get checkpointsTotal(): number {
    return this.checkpoints;
  }

  // --- writes (inside the store's write transaction) ----------------------------

  /** Starts recording undo steps for the transaction about to run. */
  begin(): void {
    this.undo = [];
  }

  /** Ends the transaction's work: kept if `ok`, else undone. */
  end(ok: boolean): void {
    const undo = this.undo;
    this.undo = undefined;
    if (!ok && undo) for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
  }

  /**
   * Writes `entries` (contiguous) of `range`, replacing whatever the journal
   * held of the range from the first on. The caller deletes `raft-log` keys
   * past the new last index.
   */
  append(range: RangeId, entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    this.removeFrom(range, entries[0]!.index);
    const direct = entries.length > this.limits.appendEntriesMax;
    for (const e of entries) {
      if (direct || encodedEntryBytes(e) > this.limits.entryBytesMax) {
        this.logDb.put(logKey(range, e.index), encodeEntry(e));
        continue;
      }
      const seq = this.nextSeq++;
      // One buffer: the record, with the stored entry held as a view into it.
      const { record, entry } = journalRecordOf(range, e);
      this.journalDb.put(seqKey(seq), record);
      this.hold(range, e.index, { seq, entry });
    }
  }

  /** Deletes the records of `range` at `index` and after. */
  removeFrom(range: RangeId, index: number): void {
    const r = this.byRange.get(range);
    if (r === undefined || r.hi < index) return;
    for (let i = Math.max(index, r.lo); i <= r.hi; i++) this.drop(range, r, i);
  }

  /** Deletes the records of `range` up to and including `index` (compaction). */
  truncateTo(range: RangeId, index: number): void {
    const r = this.byRange.get(range);
    if (r === undefined || r.lo > index) return;
    for (let i = r.lo; i <= Math.min(index, r.hi); i++) this.drop(range, r, i);
  }

  /** Deletes every record of `range`. */
  dropRange(range: RangeId): void {
    this.removeFrom(range, 0);
  }

  /**
   * Moves every record to its range's log and empties the journal, if it has
   * reached its bounds. Returns whether it did.
   */
  maybeCheckpoint(): boolean {
    if (this.records < this.limits.recordsMax && this.bytes < this.limits.bytesMax) return false;
    for (const [range, r] of this.byRange) {
      for (const [index, held] of r.byIndex) this.logDb.put(logKey(range, index), held.entry);
    }
    // Every record the journal holds is here in memory: it empties whole.
    this.journalDb.clear();
    const [byRange, records, bytes] = [this.byRange, this.records, this.bytes];
    this.byRange = new Map();
    this.records = 0;
    this.bytes = 0;
    this.checkpoints++;
    this.undo?.push(() => {
      this.byRange = byRange;
      this.records = records;
      this.bytes = bytes;
      this.checkpoints--;
    });
    return true;
  }

  private hold(range: RangeId, index: number, held: Held): void {
    let r = this.byRange.get(range);
    const created = r === undefined;
    if (r === undefined) {
      r = { byIndex: new Map(), lo: index, hi: index };
      this.byRange.set(range, r);
    }
    const [lo, hi] = [r.lo, r.hi];
    assert(!r.byIndex.has(index), `journal: range ${range} holds entry ${index} twice`);
    r.byIndex.set(index, held);
    r.lo = Math.min(r.lo, index);
    r.hi = Math.max(r.hi, index);
    this.records++;
    this.bytes += held.entry.byteLength;
    const rec = r;
    this.undo?.push(() => {
      rec.byIndex.delete(index);
      rec.lo = lo;
      rec.hi = hi;
      this.records--;
      this.bytes -= held.entry.byteLength;
      if (created) this.byRange.delete(range);
    });
  }

  private drop(range: RangeId, r: RangeRecords, index: number): void {
    const held = r.byIndex.get(index);
    if (held === undefined) return;
    this.journalDb.remove(seqKey(held.seq));
    const [lo, hi] = [r.lo, r.hi];
    r.byIndex.delete(index);
    this.records--;
    this.bytes -= held.entry.byteLength;
    const emptied = r.byIndex.size === 0;
    if (emptied) this.byRange.delete(range);
    else if (index === r.lo) r.lo = nextHeld(r, index + 1, 1);
    else if (index === r.hi) r.hi = nextHeld(r, index - 1, -1);
    this.undo?.push(() => {
      r.byIndex.set(index, held);
      r.lo = lo;
      r.hi = hi;
      this.records++;
      this.bytes += held.entry.byteLength;
      if (emptied) this.byRange.set(range, r);
    });
  }
}

/** The first index held from `from` on, stepping by `step` (the map is not empty). */
function nextHeld(r: RangeRecords, from: number, step: 1 | -1): number {
  let i = from;
  while (!r.byIndex.has(i)) i += step;
  return i;
}
