/**
 * `StoreBatch`: the work of many ranges gathered into ONE LMDB write
 * transaction, committed with one fsync (group commit, DESIGN.md §5).
 *
 * A scheduler drains the Ready of every range with work into a batch: for
 * each range the entries to append, the new hard state, the committed entries
 * to apply (a closure run inside the transaction with a `KvWriter`, returning
 * the new applied state, which is written in the same transaction as the data
 * it covers) and log truncation. `LmdbStore.commit(batch)` runs it.
 *
 * Invariants: each range appears at most once per kind of work in a batch;
 * nothing of a batch is visible through `LmdbLogStorage` until the whole
 * transaction is durable (the `after` hooks run only then); if any part of a
 * batch throws, none of it is written.
 */
import { assert, type LogIndex, type RangeId } from "../lib/index.js";
import type { Entry, HardState } from "../raft/types.js";
import type { LmdbKvWriter } from "./lmdb-kv.js";
import type { LmdbLogStorage } from "./log-storage.js";
import {
  type AppliedState,
  encodeAppliedState,
  encodeEntry,
  encodeHardState,
  encodeTruncatedState,
  logKey,
  rangeKey,
} from "./raft-codec.js";
import type { StoreDbs } from "./store-dbs.js";
import type { KvWriter } from "./types.js";

/** What a batch's operations write through, inside the transaction. */
export interface BatchTxn {
  readonly dbs: StoreDbs;
  readonly writer: LmdbKvWriter;
}

type Op = (txn: BatchTxn) => void;

export class StoreBatch {
  private readonly ops: Op[] = [];
  private readonly afterCommit: (() => void)[] = [];
  private readonly seen = new Set<string>();
  private entriesCount = 0;

  private bytes = 0;

  /** Appends `entries` (contiguous) to the range's log, replacing any conflicting suffix. */
  append(log: LmdbLogStorage, entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    this.once(log.rangeId, "append");
    const first = entries[0]!.index;
    const last = entries[entries.length - 1]!.index;
    assert(
      last - first + 1 === entries.length,
      `range ${log.rangeId}: appended entries are not contiguous`,
    );
    assert(
      first > log.truncated().index,
      `range ${log.rangeId}: append at ${first} below the truncation point`,
    );
    const oldLast = log.lastIndex();
    assert(
      first <= oldLast + 1,
      `range ${log.rangeId}: append at ${first} leaves a hole after ${oldLast}`,
    );
    const encoded = entries.map((e) => encodeEntry(e));
    for (const bytes of encoded) this.bytes += bytes.byteLength;
    this.entriesCount += entries.length;
    this.ops.push(({ dbs }) => {
      for (let i = last + 1; i <= oldLast; i++)
        dbs.log.removeSync(Buffer.from(logKey(log.rangeId, i)));
      for (let i = 0; i < entries.length; i++) {
        dbs.log.putSync(Buffer.from(logKey(log.rangeId, first + i)), Buffer.from(encoded[i]!));
      }
    });
    this.afterCommit.push(() => log.committedAppend(entries));
  }

  setHardState(log: LmdbLogStorage, hs: HardState): void {
    this.once(log.rangeId, "hard");
    const bytes = encodeHardState(hs);
    this.ops.push(({ dbs }) =>
      dbs.hardState.putSync(Buffer.from(rangeKey(log.rangeId)), Buffer.from(bytes)),
    );
    this.afterCommit.push(() => log.committedHardState(hs));
  }

  /**
   * Applies committed entries: `run` is called inside the transaction with a
   * writer over user data and returns the applied state it reached, which is
   * recorded in the same transaction.
   */
  apply(log: LmdbLogStorage, run: (writer: KvWriter) => AppliedState): void {
    this.once(log.rangeId, "apply");
    let reached: AppliedState | undefined;
    this.ops.push(({ dbs, writer }) => {
      const as = run(writer);
      assert(as.index >= log.applied().index, `range ${log.rangeId}: applied index went back`);
      dbs.applied.putSync(Buffer.from(rangeKey(log.rangeId)), Buffer.from(encodeAppliedState(as)));
      reached = as;
    });
    this.afterCommit.push(() => {
      assert(reached !== undefined, "apply did not run");
      log.committedApplied(reached);
    });
  }

  /** Removes log entries up to and including `index` (already applied). */
  truncate(log: LmdbLogStorage, index: LogIndex): void {
    this.once(log.rangeId, "truncate");
    const from = log.truncated().index + 1;
    if (index < from) return;
    assert(index <= log.applied().index, `range ${log.rangeId}: truncating unapplied entries`);
    const ts = { index, term: log.term(index) };
    this.ops.push(({ dbs }) => {
      for (let i = from; i <= index; i++) dbs.log.removeSync(Buffer.from(logKey(log.rangeId, i)));
      dbs.truncated.putSync(
        Buffer.from(rangeKey(log.rangeId)),
        Buffer.from(encodeTruncatedState(ts)),
      );
    });
    this.afterCommit.push(() => log.committedTruncation(ts));
  }

  /** Runs an arbitrary write inside the transaction (bootstrap, metadata). */
  write(op: (txn: BatchTxn) => void, after?: () => void): void {
    this.ops.push(op);
    if (after) this.afterCommit.push(after);
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

  /** Publishes the batch to the in-memory state; called once it is durable. */
  runAfterCommit(): void {
    for (const hook of this.afterCommit) hook();
  }

  private once(range: RangeId, kind: string): void {
    const key = `${range}:${kind}`;
    assert(!this.seen.has(key), `range ${range} has two '${kind}' operations in one batch`);
    this.seen.add(key);
  }
}
