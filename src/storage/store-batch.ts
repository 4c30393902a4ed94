/**
 * `StoreBatch`: the work of many ranges gathered into ONE engine write
 * transaction, committed with one fsync (group commit, DESIGN.md §5).
 *
 * A scheduler drains the Ready of every range with work into a batch: for
 * each range a snapshot to install, the entries to append, the new hard
 * state, the committed entries to apply (a closure run inside the transaction
 * with a `KvWriter`, returning the new applied state, which is written in the
 * same transaction as the data it covers), log truncation, or the
 * destruction of a removed replica. `Store.commit(batch)` runs it.
 *
 * Invariants: each range appears at most once per kind of work in a batch;
 * nothing of a batch is visible through `RangeLogStorage` until the whole
 * transaction is durable (the `after` hooks run only then); if any part of a
 * batch throws, none of it is written. `whenRan` hooks run earlier, once the
 * transaction ran whole but maybe before it is durable: for what depends on
 * nothing this batch makes durable (engine.ts `onRan`).
 */
import { assert, type LogIndex, logIndex, type NodeId, type RangeId, term } from "../lib/index.js";
import type { ConfState, Entry, HardState, SnapshotMetadata } from "../raft/types.js";
import { deleteSpan, type EngineKvWriter } from "./engine-kv.js";
import type { LogJournal } from "./log-journal.js";
import type { RangeLogStorage } from "./log-storage.js";
import {
  type AppliedState,
  decodeHardState,
  encodeAppliedState,
  encodedEntryBytes,
  encodeHardState,
  encodeTruncatedState,
  logKey,
  rangeKey,
} from "./raft-codec.js";
import { lingeringRangeKey } from "./removed-ranges.js";
import { encodeSpanClear, type SpanClear, spanClearKey } from "./span-clear.js";
import type { StoreDbs } from "./store-dbs.js";
import type { KvWriter } from "./types.js";

/** What a batch's operations write through, inside the transaction. */
export interface BatchTxn {
  readonly dbs: StoreDbs;
  readonly writer: EngineKvWriter;
  /** Where new log entries go first; it must hear of every deletion of entries. */
  readonly journal: LogJournal;
}

type Op = (txn: BatchTxn) => void;

/** The kinds of work a range may have at most once in a batch, as bits. */
const KIND = { append: 1, hard: 2, apply: 4, truncate: 8, snapshot: 16, destroy: 32 } as const;
type Kind = keyof typeof KIND;

/** Where the log of a range born from a split starts (as a bootstrapped range's does). */
export const SPLIT_INDEX = logIndex(10);
export const SPLIT_TERM = term(5);

export class StoreBatch {
  private readonly ops: Op[] = [];
  private readonly afterCommit: (() => void)[] = [];
  private readonly afterRun: (() => void)[] = [];
  private readonly seen = new Map<RangeId, number>();
  private entriesCount = 0;

  private bytes = 0;
  /** Ranges installing a snapshot in this batch: their log restarts after its index. */
  private readonly snapshotAt = new Map<RangeId, LogIndex>();

  /** Appends `entries` (contiguous) to the range's log, replacing any conflicting suffix. */
  append(log: RangeLogStorage, entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    this.once(log.rangeId, "append");
    const first = entries[0]!.index;
    const last = entries[entries.length - 1]!.index;
    assert(
      last - first + 1 === entries.length,
      `range ${log.rangeId}: appended entries are not contiguous`,
    );
    const snap = this.snapshotAt.get(log.rangeId);
    assert(
      first > (snap ?? log.truncated().index),
      `range ${log.rangeId}: append at ${first} below the truncation point`,
    );
    const oldLast = snap ?? log.lastIndex();
    assert(
      first <= oldLast + 1,
      `range ${log.rangeId}: append at ${first} leaves a hole after ${oldLast}`,
    );
    for (const e of entries) this.bytes += encodedEntryBytes(e);
    this.entriesCount += entries.length;
    this.ops.push(({ dbs, journal }) => {
      for (let i = last + 1; i <= oldLast; i++) dbs.log.remove(logKey(log.rangeId, i));
      journal.append(log.rangeId, entries);
    });
    this.afterCommit.push(() => log.committedAppend(entries));
  }

  setHardState(log: RangeLogStorage, hs: HardState): void {
    this.once(log.rangeId, "hard");
    const bytes = encodeHardState(hs);
    this.ops.push(({ dbs }) => dbs.hardState.put(rangeKey(log.rangeId), bytes));
    this.afterCommit.push(() => log.committedHardState(hs));
  }

  /**
   * Applies committed entries: `run` is called inside the transaction with a
   * writer over user data and returns the applied state it reached, which is
   * recorded in the same transaction — unless `persistApplied` is false (a
   * test-only knob that breaks exactly-once apply on purpose).
   */
  apply(
    log: RangeLogStorage,
    run: (writer: KvWriter) => AppliedState,
    persistApplied = true,
  ): void {
    this.once(log.rangeId, "apply");
    let reached: AppliedState | undefined;
    this.ops.push(({ dbs, writer }) => {
      const as = run(writer);
      assert(as.index >= log.applied().index, `range ${log.rangeId}: applied index went back`);
      if (persistApplied) dbs.applied.put(rangeKey(log.rangeId), encodeAppliedState(as));
      reached = as;
    });
    this.afterCommit.push(() => {
      assert(reached !== undefined, "apply did not run");
      log.committedApplied(reached);
    });
  }

  /** Removes log entries up to and including `index` (already applied). */
  truncate(log: RangeLogStorage, index: LogIndex): void {
    this.once(log.rangeId, "truncate");
    const from = log.truncated().index + 1;
    if (index < from) return;
    assert(index <= log.applied().index, `range ${log.rangeId}: truncating unapplied entries`);
    const ts = { index, term: log.term(index) };
    this.ops.push(({ dbs, journal }) => {
      for (let i = from; i <= index; i++) dbs.log.remove(logKey(log.rangeId, i));
      journal.truncateTo(log.rangeId, index);
      dbs.truncated.put(rangeKey(log.rangeId), encodeTruncatedState(ts));
    });
    this.afterCommit.push(() => log.committedTruncation(ts));
  }

  /**
   * Installs a snapshot: deletes the range's span and its whole log, writes
   * the snapshot's data, and sets applied and truncated state to its index.
   * Must come before any append of the same range in the batch. `data` is
   * pulled inside the transaction (a staged stream read back piece by piece).
   *
   * With `prewritten`, the data is in the store already (`Store.fillSpan`,
   * under that span-clear record, in spans no replica here owned): only
   * `spans` (what the replica owned before) are deleted, and the record goes,
   * so the data now belongs to the range.
   */
  installSnapshot(
    log: RangeLogStorage,
    meta: SnapshotMetadata,
    spans: readonly { start: Uint8Array; end: Uint8Array }[],
    data: Iterable<{ key: Uint8Array; value: Uint8Array }>,
    prewritten?: SpanClear,
  ): void {
    this.once(log.rangeId, "snapshot");
    assert(
      ((this.seen.get(log.rangeId) ?? 0) & KIND.append) === 0,
      "snapshot staged after an append",
    );
    this.snapshotAt.set(log.rangeId, meta.index);
    const applied: AppliedState = { index: meta.index, term: meta.term, confState: meta.confState };
    const ts = { index: meta.index, term: meta.term };
    this.ops.push(({ dbs, journal }) => {
      for (const s of spans) deleteSpan(dbs.data, s.start, s.end);
      deleteSpan(dbs.log, logKey(log.rangeId, 0), logKey(log.rangeId + 1, 0));
      journal.dropRange(log.rangeId);
      if (prewritten) dbs.meta.remove(spanClearKey(prewritten.id));
      for (const e of data) dbs.data.put(e.key, e.value);
      dbs.applied.put(rangeKey(log.rangeId), encodeAppliedState(applied));
      dbs.truncated.put(rangeKey(log.rangeId), encodeTruncatedState(ts));
    });
    this.afterCommit.push(() => log.committedSnapshot(applied));
  }

  /**
   * Deletes a removed replica: its log and applied state, and records its
   * spans (`clear`) as to be cleared: its data, which may be gigabytes, is
   * deleted after, in bounded transactions (`Store.clearSpanChunk`), and no
   * replica here may own those spans until then. Its hard state (term and
   * vote) stays, as a tombstone: should a stale message recreate the replica
   * (uninitialized), it still remembers its vote, so it can never vote twice
   * in one term.
   */
  destroyRange(log: RangeLogStorage, clear: SpanClear, after?: () => void): void {
    this.once(log.rangeId, "destroy");
    const record = encodeSpanClear(clear);
    this.ops.push(({ dbs, journal }) => {
      dbs.meta.put(spanClearKey(clear.id), record);
      deleteSpan(dbs.log, logKey(log.rangeId, 0), logKey(log.rangeId + 1, 0));
      journal.dropRange(log.rangeId);
      const key = rangeKey(log.rangeId);
      dbs.applied.remove(key);
      dbs.truncated.remove(key);
    });
    if (after) this.afterCommit.push(after);
  }

  /**
   * Inside a running transaction (from a `write` op staged after the apply of
   * a split): creates the Raft state of a range born from a split, starting
   * after `SPLIT_INDEX` like a bootstrapped range. A replica of it that
   * exists uninitialized here (created by a message from the new range's
   * leader before this split applied) keeps its term and vote: a replica
   * never votes twice in one term. A range already initialized here is left
   * alone (it cannot be: a snapshot overlapping a live replica is refused).
   */
  createSplitRange(txn: BatchTxn, rangeId: RangeId, confState: ConfState): void {
    const key = rangeKey(rangeId);
    if (txn.dbs.applied.get(key) !== undefined) return;
    const at = { index: SPLIT_INDEX, term: SPLIT_TERM };
    const old = txn.dbs.hardState.get(key);
    const hs = old ? decodeHardState(old) : undefined;
    const keep = hs !== undefined && hs.term > at.term;
    txn.dbs.hardState.put(
      key,
      encodeHardState({
        term: keep ? hs.term : at.term,
        vote: keep ? hs.vote : (0 as NodeId),
        commit: at.index,
      }),
    );
    deleteSpan(txn.dbs.log, logKey(rangeId, 0), logKey(rangeId + 1, 0));
    txn.journal.dropRange(rangeId);
    txn.dbs.truncated.put(key, encodeTruncatedState(at));
    txn.dbs.applied.put(key, encodeAppliedState({ ...at, confState }));
  }

  /**
   * Inside a running transaction (after the apply of a merge): deletes the
   * Raft state of a range absorbed by its left neighbour. Its data stays:
   * it belongs to the left range now.
   */
  dropMergedRange(txn: BatchTxn, rangeId: RangeId): void {
    const key = rangeKey(rangeId);
    deleteSpan(txn.dbs.log, logKey(rangeId, 0), logKey(rangeId + 1, 0));
    txn.journal.dropRange(rangeId);
    txn.dbs.applied.remove(key);
    txn.dbs.truncated.remove(key);
    txn.dbs.hardState.remove(key);
    // A replica merged away while it lingered lingers no more (removed-ranges.ts).
    txn.dbs.meta.remove(lingeringRangeKey(rangeId));
  }

  /** Runs an arbitrary write inside the transaction (bootstrap, metadata). */
  write(op: (txn: BatchTxn) => void, after?: () => void): void {
    this.ops.push(op);
    if (after) this.afterCommit.push(after);
  }

  /**
   * Runs `hook` once the transaction ran whole, maybe before it is durable
   * (and at the latest with the `after` hooks): only for what may be
   * published before this batch is durable.
   */
  whenRan(hook: () => void): void {
    this.afterRun.push(hook);
  }

  get isEmpty(): boolean {
    return this.ops.length === 0;
  }

  /** Log entries appended by this batch, and their encoded bytes (for metrics). */
  get appendedEntries(): number {
    return this.entriesCount;
  }
  get appendedBytes(): number {
    return this.bytes;
  }

  /** Runs every operation; called by the store inside its write transaction. */
  runInTxn(txn: BatchTxn): void {
    for (const op of this.ops) op(txn);
  }

  /** Runs the `whenRan` hooks (once; again is a no-op). */
  runWhenRan(): void {
    const hooks = this.afterRun.splice(0);
    for (const hook of hooks) hook();
  }

  /** Publishes the batch to the in-memory state; called once it is durable. */
  runAfterCommit(): void {
    this.runWhenRan();
    for (const hook of this.afterCommit) hook();
  }

  private once(range: RangeId, kind: Kind): void {
    const seen = this.seen.get(range) ?? 0;
    assert((seen & KIND[kind]) === 0, `range ${range} has two '${kind}' operations in one batch`);
    this.seen.set(range, seen | KIND[kind]);
  }
}
