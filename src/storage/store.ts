/**
 * `Store`: a node's store (DESIGN.md §5) — its sub-databases (store-dbs.ts)
 * in one `StorageEngine`, the Raft log storage of each range it holds, and
 * the group-commit write path (`commit(batch)`).
 *
 * `Store.openLmdb` opens the production store under `<dataDir>/store`, owned
 * by this process through `<dataDir>/LOCK`: it checks the data directory
 * (creating it when absent), takes the lock (a live owner → DATA_DIR; a stale
 * one is taken over), opens the LMDB engine and checks the store identity
 * (format version; a store with data but no identity is not a Tessera store).
 * `Store.openEngine` opens a store over any engine (the simulator's disk).
 * A new store gets its identity in its first transaction.
 *
 * Nothing here relies on the engine being LMDB: every record is checksummed
 * (raft-codec.ts), and durability is the engine's `write` contract.
 */
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  assert,
  type Clock,
  compareBytes,
  type LogIndex,
  logIndex,
  type NodeId,
  type RangeId,
  type Term,
  TesseraError,
  term,
} from "../lib/index.js";
import type { ConfState, HardState } from "../raft/types.js";
import { DirLock, LOCK_FILE_NAME } from "./dir-lock.js";
import type { StorageEngine } from "./engine.js";
import { EngineKvView, EngineKvWriter } from "./engine-kv.js";
import { LmdbEngine } from "./lmdb-engine.js";
import { LogJournal, type LogJournalLimits } from "./log-journal.js";
import { RangeLogStorage } from "./log-storage.js";
import {
  type AppliedState,
  decodeAppliedState,
  decodeHardState,
  decodeRangeKey,
  decodeTruncatedState,
  encodeAppliedState,
  encodeHardState,
  encodeTruncatedState,
  logKey,
  logKeyIndex,
  rangeKey,
} from "./raft-codec.js";
import {
  decodeLingeringTerm,
  decodeRemovedPosition,
  type LogPosition,
  lingeringRangeKey,
  removedRangeKey,
} from "./removed-ranges.js";
import {
  decodeSpanClear,
  encodeSpanClear,
  type SpanClear,
  spanClearId,
  spanClearKey,
  spanClearKeys,
} from "./span-clear.js";
import { StoreBatch } from "./store-batch.js";
import { APPLIED_DB, DATA_DB, openStoreDbs, type StoreDbs } from "./store-dbs.js";
import { dataDirError, ensureDir } from "./store-dir.js";
import {
  decodeIdentity,
  encodeIdentity,
  IDENTITY_KEY,
  STORE_FORMAT_VERSION,
  type StoreIdentity,
} from "./store-identity.js";
import type { KvView } from "./types.js";

/** The sub-directory of the data directory holding the LMDB environment. */
export const STORE_DIR_NAME = "store";

export interface StoreCreateOptions {
  /** The identity a new store is created with (ignored when the store exists). */
  readonly create: { readonly clusterId: string; readonly nodeId: NodeId; readonly nowMs: number };
  /** Log entries each range keeps in memory at most (the tail cache; the store's budget may allow fewer). */
  readonly logTailEntriesMax?: number;
  /** Times commits for stats (default: none, stats say 0). */
  readonly clock?: Clock;
  /** When the log journal moves its records to the ranges' logs (tests make it small). */
  readonly journalLimits?: LogJournalLimits;
}

export interface StoreOpenOptions extends StoreCreateOptions {
  readonly dataDir: string;
}

export interface StoreStats {
  /** Write transactions committed (each one fsync). */
  readonly commitsTotal: number;
  /** Log entries appended over all commits. */
  readonly entriesAppendedTotal: number;
  /** Unix ms of the last durable commit (0 = none yet, or no clock). */
  readonly lastSyncAtMs: number;
  /** Total time spent in commits (queueing, writing and fsync). */
  readonly commitMsTotal: number;
  /** Bytes the engine occupies. */
  readonly storeBytes: number;
  /** Log entries in the log journal, not yet moved to their ranges' logs. */
  readonly journalRecords: number;
  /** Moves of the log journal to the ranges' logs. */
  readonly journalCheckpointsTotal: number;
}

/** A key/value pair of a range's span, as a snapshot carries it. */
export interface SpanEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/**
 * A range's state at one committed moment, read lazily: its applied state and
 * the entries of its span, pinned until `release()` (the engine keeps that
 * state for it, so release it as soon as the stream ends).
 */
export interface SpanSnapshot {
  readonly applied: AppliedState;
  /** The span's entries in key order; each call reads them again from the pinned state. */
  entries(): Iterable<SpanEntry>;
  release(): void;
}

/** Log entries a range keeps in memory at most (`logTailEntriesMax`). */
const LOG_TAIL_ENTRIES_DEFAULT = 4096;
/**
 * Log entries all the ranges of a store keep in memory together: with many
 * ranges each keeps its share (never fewer than `LOG_TAIL_ENTRIES_MIN`).
 * A full tail of 4,096 entries per range cost 64 ranges on three nodes about
 * 200 MiB of heap, and the CPU per write grew with it as their tails filled
 * (bench:micro --windows: 256 → 410 µs in two minutes; 250–340 µs with
 * small tails); a follower within its range's tail is served from memory, one
 * further behind from the store.
 */
export const LOG_TAIL_STORE_ENTRIES = 65_536;
/** A range's tail is never limited below this (replication of a busy range reads from it). */
export const LOG_TAIL_ENTRIES_MIN = 256;
const IDENTITY = new TextEncoder().encode(IDENTITY_KEY);

export class Store {
  private readonly logs = new Map<RangeId, RangeLogStorage>();
  private readonly dbs: StoreDbs;
  private readonly view: EngineKvView;
  private readonly writer: EngineKvWriter;
  private readonly tailEntriesMax: number;
  /** Each range's share of `LOG_TAIL_STORE_ENTRIES` (see there), within `tailEntriesMax`. */
  private readonly tailLimit = (): number =>
    Math.min(
      this.tailEntriesMax,
      Math.max(
        LOG_TAIL_ENTRIES_MIN,
        Math.floor(LOG_TAIL_STORE_ENTRIES / Math.max(1, this.logs.size)),
      ),
    );
  /** Where new log entries of every range go first (log-journal.ts). */
  private readonly journal: LogJournal;
  private clock: Clock | undefined;
  private closed = false;
  private commitsTotal = 0;
  private entriesAppendedTotal = 0;
  private lastSyncAtMs = 0;
  private commitMsTotal = 0;
  private nextSpanClearId: number;
  readonly identity: StoreIdentity;

  private constructor(
    readonly engine: StorageEngine,
    options: StoreCreateOptions,
    where: string,
    /** The data directory ("" for a store not on a directory). */
    readonly dataDir: string,
    private readonly lock: DirLock | undefined,
  ) {
    this.dbs = openStoreDbs(engine);
    this.view = new EngineKvView(this.dbs.data);
    this.writer = new EngineKvWriter(this.dbs.data);
    this.tailEntriesMax = options.logTailEntriesMax ?? LOG_TAIL_ENTRIES_DEFAULT;
    this.clock = options.clock;
    this.identity = this.loadIdentity(options, where);
    this.journal = new LogJournal(this.dbs.journal, this.dbs.log, options.journalLimits);
    // Before any log is loaded: a range's log is its keys in raft-log overlaid
    // by the records the journal held when the store stopped.
    this.journal.load();
    const clears = this.spanClears();
    this.nextSpanClearId = (clears.at(-1)?.id ?? 0) + 1;
  }

  /** Opens (or creates) a store over `engine` (the simulator's disk, a test's memory). */
  static openEngine(engine: StorageEngine, options: StoreCreateOptions): Store {
    return new Store(engine, options, "store", "", undefined);
  }

  /** Opens (or creates) the LMDB store of `options.dataDir`; throws DATA_DIR when it cannot. */
  static async openLmdb(options: StoreOpenOptions): Promise<Store> {
    const dataDir = resolve(options.dataDir);
    prepareDataDir(dataDir);
    const lock = DirLock.acquire(dataDir);
    let engine: LmdbEngine | undefined;
    try {
      const storeDir = join(dataDir, STORE_DIR_NAME);
      ensureDir(storeDir);
      engine = LmdbEngine.open(storeDir);
      return new Store(engine, options, `data directory ${dataDir}`, dataDir, lock);
    } catch (e) {
      // Close before releasing the lock: a reopen must not meet a closing environment.
      if (engine) await engine.close().catch(() => {});
      lock.release();
      throw e;
    }
  }

  /** Same as `openLmdb` (the name stores were opened with before engines). */
  static open(options: StoreOpenOptions): Promise<Store> {
    return Store.openLmdb(options);
  }

  /** Sets the clock commits are timed with, unless one was given at open. */
  useClock(clock: Clock): void {
    this.clock ??= clock;
  }

  /** The latest committed user data. */
  kvView(): KvView {
    return this.view;
  }

  /** The ranges that have state in this store, in id order. */
  rangeIds(): RangeId[] {
    const ids: RangeId[] = [];
    for (const { key } of this.dbs.applied.range({})) ids.push(decodeRangeKey(key) as RangeId);
    return ids;
  }

  hasRange(rangeId: RangeId): boolean {
    return this.dbs.applied.get(rangeKey(rangeId)) !== undefined;
  }

  /** The Raft state (term, vote, commit) the store holds for `rangeId`, if any. */
  storedHardState(rangeId: RangeId): HardState | undefined {
    this.checkOpen();
    const raw = this.dbs.hardState.get(rangeKey(rangeId));
    return raw === undefined ? undefined : decodeHardState(raw);
  }

  /**
   * The last log position of the replicas of `rangeId` destroyed here, if
   * any was (removed-ranges.ts): a new replica of the range votes no lower.
   */
  removedPosition(rangeId: RangeId): LogPosition | undefined {
    this.checkOpen();
    const raw = this.dbs.meta.get(removedRangeKey(rangeId));
    return raw === undefined ? undefined : decodeRemovedPosition(raw);
  }

  /**
   * The term in which this node's replica of `rangeId` applied its own
   * removal while it led, if it still lingers (removed-ranges.ts).
   */
  lingeringTerm(rangeId: RangeId): Term | undefined {
    this.checkOpen();
    const raw = this.dbs.meta.get(lingeringRangeKey(rangeId));
    return raw === undefined ? undefined : decodeLingeringTerm(raw);
  }

  /**
   * Creates range `rangeId` with configuration `confState` (durably, before
   * returning) unless it exists. Its log starts empty after `at` (default
   * index 0, term 0), which counts as applied and committed: a range
   * bootstrapped after index 0 can only be joined through a snapshot.
   */
  bootstrapRange(
    rangeId: RangeId,
    confState: ConfState,
    at: { index: LogIndex; term: Term } = { index: logIndex(0), term: term(0) },
    data: readonly SpanEntry[] = [],
  ): void {
    this.checkOpen();
    const key = rangeKey(rangeId);
    if (this.dbs.applied.get(key) !== undefined) return;
    this.engine.writeSync(() => {
      for (const e of data) this.dbs.data.put(e.key, e.value);
      this.dbs.hardState.put(
        key,
        encodeHardState({ term: at.term, vote: 0 as NodeId, commit: at.index }),
      );
      this.dbs.truncated.put(key, encodeTruncatedState(at));
      this.dbs.applied.put(key, encodeAppliedState({ ...at, confState }));
    });
  }

  /** The log storage of an existing range (loaded once, then cached). */
  logStorage(rangeId: RangeId): RangeLogStorage {
    this.checkOpen();
    const cached = this.logs.get(rangeId);
    if (cached) return cached;
    const key = rangeKey(rangeId);
    const applied = this.dbs.applied.get(key);
    if (applied === undefined)
      throw new TesseraError("INTERNAL", `range ${rangeId} has no state in this store`);
    const hard = this.dbs.hardState.get(key);
    const trunc = this.dbs.truncated.get(key);
    assert(hard !== undefined && trunc !== undefined, `range ${rangeId}: raft state is missing`);
    const truncated = decodeTruncatedState(trunc);
    const log = new RangeLogStorage(
      rangeId,
      this.dbs.log,
      {
        hardState: decodeHardState(hard),
        truncated,
        applied: decodeAppliedState(applied),
        lastIndex: this.findLastIndex(rangeId, truncated.index),
      },
      this.tailLimit,
      this.journal,
    );
    this.logs.set(rangeId, log);
    return log;
  }

  /**
   * The log storage of a range this store does not hold yet: empty, with no
   * configuration, waiting for a snapshot. Only its hard state may have been
   * written (a vote it cast before a restart), and it is kept: a replica must
   * never vote twice in one term.
   */
  uninitializedLogStorage(rangeId: RangeId): RangeLogStorage {
    this.checkOpen();
    assert(!this.hasRange(rangeId), `range ${rangeId} is already initialized`);
    const zero = { index: logIndex(0), term: term(0) };
    const hard = this.dbs.hardState.get(rangeKey(rangeId));
    const log = new RangeLogStorage(
      rangeId,
      this.dbs.log,
      {
        hardState: hard
          ? { ...decodeHardState(hard), commit: logIndex(0) }
          : { term: term(0), vote: 0 as NodeId, commit: logIndex(0) },
        truncated: zero,
        applied: {
          ...zero,
          confState: {
            voters: [],
            learners: [],
            votersOutgoing: [],
            learnersNext: [],
            autoLeave: false,
          },
        },
        lastIndex: logIndex(0),
      },
      this.tailLimit,
      this.journal,
    );
    this.logs.set(rangeId, log);
    return log;
  }

  /**
   * Deletes the Raft state of a range merged away (durably, before
   * returning), in case the last round of its replica wrote some after the
   * merge dropped it; its data belongs to the range that absorbed it.
   */
  dropRangeState(rangeId: RangeId): void {
    this.checkOpen();
    const key = rangeKey(rangeId);
    this.engine.writeSync(() => {
      for (const e of [
        ...this.dbs.log.range({ start: logKey(rangeId, 0), end: logKey(rangeId + 1, 0) }),
      ])
        this.dbs.log.remove(e.key);
      this.journal.dropRange(rangeId);
      this.dbs.applied.remove(key);
      this.dbs.truncated.remove(key);
      this.dbs.hardState.remove(key);
    });
    this.logs.delete(rangeId);
  }

  /**
   * Spans holding data no replica owns, still to be deleted (span-clear.ts),
   * oldest first: a removed replica's data, or a snapshot written ahead of an
   * install that did not happen.
   */
  spanClears(): SpanClear[] {
    const out: SpanClear[] = [];
    for (const { key, value } of this.dbs.meta.range(spanClearKeys())) {
      const id = spanClearId(key);
      out.push(decodeSpanClear(id, value));
    }
    return out;
  }

  /** An id for a new span-clear record (unique in this store). */
  newSpanClearId(): number {
    return this.nextSpanClearId++;
  }

  /**
   * Records, durably, that `clear`'s spans are to be cleared, and writes
   * `entries` (which must lie in them) in the same transaction: a snapshot
   * written into the span of a replica that holds nothing yet, piece by
   * piece, before its install (which removes the record). Until then no
   * replica owns these keys, so no reader sees them.
   */
  async fillSpan(clear: SpanClear, entries: readonly SpanEntry[]): Promise<void> {
    this.checkOpen();
    const record = encodeSpanClear(clear);
    await this.engine.write(() => {
      this.dbs.meta.put(spanClearKey(clear.id), record);
      for (const e of entries) this.dbs.data.put(e.key, e.value);
    });
  }

  /**
   * Deletes the first keys of `clear`'s spans, up to `limits`, in one durable
   * transaction; once the spans are empty the record goes too (unless
   * `keepRecord`: a span emptied before a snapshot is written into it) and
   * this resolves true.
   */
  async clearSpanChunk(
    clear: SpanClear,
    limits: { readonly keys: number; readonly bytes: number },
    keepRecord = false,
  ): Promise<boolean> {
    this.checkOpen();
    let done = false;
    await this.engine.write(() => {
      const keys: Uint8Array[] = [];
      let bytes = 0;
      for (const s of clear.spans) {
        if (compareBytes(s.start, s.end) >= 0) continue;
        for (const e of this.dbs.data.range({ start: s.start, end: s.end })) {
          if (keys.length >= limits.keys || bytes >= limits.bytes) break;
          keys.push(e.key);
          bytes += e.key.byteLength + e.value.byteLength;
        }
      }
      for (const key of keys) this.dbs.data.remove(key);
      done = keys.length < limits.keys && bytes < limits.bytes;
      if (done && !keepRecord) this.dbs.meta.remove(spanClearKey(clear.id));
    });
    return done;
  }

  /** Forgets the cached log storage of a destroyed range. */
  forgetRange(rangeId: RangeId): void {
    this.logs.delete(rangeId);
  }

  /**
   * Pins the range's applied state and span as they are now (one committed
   * state) for a snapshot stream: the entries are read as the stream pulls
   * them, so a range of any size costs the memory of one entry at a time.
   */
  openSnapshot(
    rangeId: RangeId,
    spans: readonly { start: Uint8Array; end: Uint8Array }[],
  ): SpanSnapshot {
    this.checkOpen();
    const view = this.engine.readView();
    try {
      const bytes = view.get(APPLIED_DB, rangeKey(rangeId));
      if (bytes === undefined) throw new TesseraError("INTERNAL", `range ${rangeId} has no state`);
      const applied = decodeAppliedState(bytes);
      const live = spans.filter((s) => compareBytes(s.start, s.end) < 0);
      return {
        applied,
        *entries() {
          for (const s of live) yield* view.range(DATA_DB, { start: s.start, end: s.end });
        },
        release: () => view.release(),
      };
    } catch (e) {
      view.release();
      throw e;
    }
  }

  /** `openSnapshot`, read whole into memory (tests and checks of small ranges). */
  readSnapshot(
    rangeId: RangeId,
    spans: readonly { start: Uint8Array; end: Uint8Array }[],
  ): { applied: AppliedState; entries: SpanEntry[] } {
    const snap = this.openSnapshot(rangeId, spans);
    try {
      const entries: SpanEntry[] = [];
      for (const e of snap.entries())
        entries.push({ key: new Uint8Array(e.key), value: new Uint8Array(e.value) });
      return { applied: snap.applied, entries };
    } finally {
      snap.release();
    }
  }

  newBatch(): StoreBatch {
    return new StoreBatch();
  }

  /**
   * Writes `batch` in one transaction and resolves once it is durable, then
   * publishes it to the ranges' log storage. If the batch throws, nothing of it
   * is written and the error is rethrown. Its `whenRan` hooks run as soon as
   * the transaction ran (engine.ts `onRan`).
   */
  async commit(batch: StoreBatch): Promise<void> {
    this.checkOpen();
    if (batch.isEmpty) return;
    const started = this.clock?.monotonicMs() ?? 0;
    await this.engine.write(
      () => this.runBatch(batch),
      () => batch.runWhenRan(),
    );
    this.commitsTotal++;
    this.lastSyncAtMs = this.clock?.nowMs() ?? 0;
    this.entriesAppendedTotal += batch.appendedEntries;
    this.commitMsTotal += (this.clock?.monotonicMs() ?? 0) - started;
    batch.runAfterCommit();
  }

  /**
   * TEST-ONLY (the range layer's `ackBeforeSync` knob, a deliberate bug):
   * commits `batch` and reports it done once its transaction ran, without
   * waiting for it to be durable. An engine that runs transactions at once
   * and syncs later (the simulated one) is not waited for; with any other,
   * this is `commit`. A failure of the write goes to `onError`.
   */
  async commitWithoutSync(batch: StoreBatch, onError: (e: unknown) => void): Promise<void> {
    this.checkOpen();
    if (batch.isEmpty) return;
    let ran = false;
    const durable = this.engine.write(() => {
      this.runBatch(batch);
      ran = true;
    });
    if (ran) durable.catch(onError);
    else await durable;
    this.commitsTotal++;
    this.entriesAppendedTotal += batch.appendedEntries;
    batch.runAfterCommit();
  }

  stats(): StoreStats {
    return {
      commitsTotal: this.commitsTotal,
      entriesAppendedTotal: this.entriesAppendedTotal,
      lastSyncAtMs: this.lastSyncAtMs,
      commitMsTotal: this.commitMsTotal,
      storeBytes: this.engine.sizeBytes(),
      journalRecords: this.journal.recordsHeld,
      journalCheckpointsTotal: this.journal.checkpointsTotal,
    };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Waits for pending commits, closes the engine and releases the lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.engine.close();
    } finally {
      this.lock?.release();
    }
  }

  /**
   * Inside the write transaction: the batch's work, then, once the journal is
   * full, the move of its records to the ranges' logs. If the work throws the
   * transaction is aborted, and so is what the journal took of it.
   */
  private runBatch(batch: StoreBatch): void {
    this.journal.begin();
    let ok = false;
    try {
      batch.runInTxn({ dbs: this.dbs, writer: this.writer, journal: this.journal });
      this.journal.maybeCheckpoint();
      ok = true;
    } finally {
      this.journal.end(ok);
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new TesseraError("SHUTTING_DOWN", "the store is closed");
  }

  private findLastIndex(rangeId: RangeId, truncatedIndex: number): LogIndex {
    for (const { key } of this.dbs.log.range({
      start: logKey(rangeId, 0),
      end: logKey(rangeId + 1, 0),
      reverse: true,
      limit: 1,
    })) {
      const index = logKeyIndex(key);
      if (index > truncatedIndex) return logIndex(Math.max(index, this.journal.lastIndex(rangeId)));
    }
    return logIndex(Math.max(truncatedIndex, this.journal.lastIndex(rangeId)));
  }

  private loadIdentity(options: StoreCreateOptions, where: string): StoreIdentity {
    const stored = this.dbs.meta.get(IDENTITY);
    if (stored !== undefined) return decodeIdentity(stored, where);
    const hasData =
      [...this.dbs.data.range({ limit: 1 })].length > 0 ||
      [...this.dbs.applied.range({ limit: 1 })].length > 0;
    if (hasData)
      throw new TesseraError(
        "DATA_DIR",
        `${where}: holds a store without a Tessera identity (not a Tessera store)`,
      );
    const identity: StoreIdentity = {
      formatVersion: STORE_FORMAT_VERSION,
      clusterId: options.create.clusterId,
      nodeId: options.create.nodeId,
      createdAtMs: options.create.nowMs,
    };
    this.engine.writeSync(() => this.dbs.meta.put(IDENTITY, encodeIdentity(identity)));
    return identity;
  }
}

/** Creates the data directory or checks that it is one Tessera may use. */
function prepareDataDir(dataDir: string): void {
  ensureDir(dataDir);
  const names = readdirSync(dataDir).filter((n) => !n.startsWith("."));
  const ours = new Set([STORE_DIR_NAME, LOCK_FILE_NAME]);
  if (names.length > 0 && !names.some((n) => ours.has(n))) {
    throw dataDirError(dataDir, "is not empty and is not a Tessera data directory");
  }
}

/** Whether `dataDir` holds a store already. */
export function storeExists(dataDir: string): boolean {
  return existsSync(join(resolve(dataDir), STORE_DIR_NAME, "data.mdb"));
}
