/**
 * The storage engine seam. A store (store.ts) keeps its sub-databases (user
 * data, Raft log, hard state, applied state, local metadata) in a
 * `StorageEngine`: LMDB in production (lmdb-engine.ts), a simulated disk in
 * the deterministic simulator (test/sim), which can lose what was not synced,
 * tear the last write, or corrupt a block, to prove the layers above survive.
 *
 * Contract:
 * - `write(fn)` runs `fn` as ONE atomic transaction: every put/remove made
 *   through the engine's dbs while `fn` runs is written, or none is if `fn`
 *   throws (the error is rethrown). Reads inside `fn` see its own writes.
 *   The promise resolves only once the transaction is durable (fsynced):
 *   callers acknowledge clients after it, never before — except for what is
 *   durable elsewhere already (see `onRan`). `fn` may run later than the call
 *   (the engine batches), but transactions commit in call order.
 * - `write(fn, onRan)` also calls `onRan` once `fn` ran whole, when the
 *   transaction's outcome is settled but before it is durable (it may be
 *   called after, too, never if `fn` threw). A store answers there the
 *   writes whose Raft entries were durable on a quorum before this
 *   transaction applied them (store.ts `commit`).
 * - `writeSync(fn)` is the same, synchronous: for bootstrap and rare admin
 *   changes, never for the hot path.
 * - Reads outside a write see the latest committed state.
 * - `readView()` pins one committed state for reads that span many event
 *   turns (streaming a range's snapshot), until `release()`: writes go on and
 *   the view does not see them.
 * - Keys and values are bytes, ordered by unsigned byte comparison.
 */

export interface EngineEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

export interface EngineRangeOptions {
  /** Inclusive lower bound (or, with `reverse`, the exclusive upper bound is `end`). */
  readonly start?: Uint8Array;
  /** Exclusive upper bound. */
  readonly end?: Uint8Array;
  readonly limit?: number;
  /** Descending order: from just below `end` down to `start`. */
  readonly reverse?: boolean;
}

/** One ordered sub-database of an engine. */
export interface EngineDb {
  get(key: Uint8Array): Uint8Array | undefined;
  range(options: EngineRangeOptions): Iterable<EngineEntry>;
  /**
   * The keys of [start, end) in order, without reading the values, where the
   * engine can skip them (LMDB: a value is not copied out); `range` otherwise.
   */
  keys?(options: { readonly start: Uint8Array; readonly end: Uint8Array }): Iterable<Uint8Array>;
  /** Only inside `write`/`writeSync`. */
  put(key: Uint8Array, value: Uint8Array): void;
  /** Only inside `write`/`writeSync`; removing an absent key is a no-op. */
  remove(key: Uint8Array): void;
  /**
   * Only inside `write`/`writeSync`: removes every key, undone with the rest
   * of the transaction if it fails (LMDB frees the sub-database's pages at
   * once instead of deleting key by key).
   */
  clear(): void;
}

/** One committed state of every sub-database, readable until released. */
export interface EngineReadView {
  get(db: string, key: Uint8Array): Uint8Array | undefined;
  range(db: string, options: EngineRangeOptions): Iterable<EngineEntry>;
  /** Lets the engine reclaim what the view kept; reads after it fail. Idempotent. */
  release(): void;
}

export interface StorageEngine {
  /** The sub-database `name` (created on first use). */
  db(name: string): EngineDb;
  readView(): EngineReadView;
  write(fn: () => void, onRan?: () => void): Promise<void>;
  writeSync(fn: () => void): void;
  /** Bytes the engine occupies on its medium. */
  sizeBytes(): number;
  close(): Promise<void>;
}
