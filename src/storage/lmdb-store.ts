/**
 * `LmdbStore`: a node's one LMDB environment (a *store*, DESIGN.md §5) under
 * `<dataDir>/store`, owned by this process through `<dataDir>/LOCK`.
 *
 * Opening checks the data directory (creating it when absent), takes the lock
 * (a live owner → DATA_DIR; a stale one is taken over), opens the environment
 * and checks the store identity (format version; a store with data but no
 * identity is not a Tessera store) — every failure is a DATA_DIR error that
 * says what is wrong. A new store gets its identity in its first transaction.
 *
 * Durability: the environment is opened with LMDB's synchronous commits
 * (`overlappingSync` off, never `noSync`), so `commit(batch)` resolves only
 * after the transaction is fsynced. Commits run on lmdb-js's write thread, so
 * the fsync does not block the event loop. After a crash the store is exactly
 * what its last committed transaction left (LMDB's copy-on-write B+tree with
 * two meta pages). (Overlapping syncs, with only log-appending batches waiting
 * for their flush, measured no faster here, and make two kinds of durable.)
 */
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  statSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { open, type RootDatabase } from "lmdb";
import { assert, logIndex, type NodeId, type RangeId, TesseraError, term } from "../lib/index.js";
import type { ConfState } from "../raft/types.js";
import { DirLock, LOCK_FILE_NAME } from "./dir-lock.js";
import { LmdbKvView, LmdbKvWriter } from "./lmdb-kv.js";
import { LmdbLogStorage } from "./log-storage.js";
import {
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
import { StoreBatch } from "./store-batch.js";
import { openStoreDbs, STORE_DBS_MAX, type StoreDbs } from "./store-dbs.js";
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

export interface StoreOpenOptions {
  readonly dataDir: string;
  /** The identity a new store is created with (ignored when the store exists). */
  readonly create: { readonly clusterId: string; readonly nodeId: NodeId; readonly nowMs: number };
  /** Log entries each range keeps in memory (the tail cache). */
  readonly logTailEntriesMax?: number;
}

export interface StoreStats {
  /** Write transactions committed (each one fsync, on the write thread). */
  readonly commitsTotal: number;
  /** Log entries appended over all commits. */
  readonly entriesAppendedTotal: number;
  /** Unix ms of the last durable commit (0 = none yet). */
  readonly lastSyncAtMs: number;
  /** Total time spent in commits (queueing, writing and fsync). */
  readonly commitMsTotal: number;
  /** Bytes of the environment's data file in use. */
  readonly storeBytes: number;
}

const LOG_TAIL_ENTRIES_DEFAULT = 4096;

export class LmdbStore {
  private readonly logs = new Map<RangeId, LmdbLogStorage>();
  private readonly view: LmdbKvView;
  private readonly writer: LmdbKvWriter;
  private closed = false;
  private commitsTotal = 0;
  private entriesAppendedTotal = 0;
  private lastSyncAtMs = 0;
  private commitMsTotal = 0;

  private constructor(
    readonly dataDir: string,
    readonly identity: StoreIdentity,
    private readonly env: RootDatabase,
    private readonly dbs: StoreDbs,
    private readonly lock: DirLock,
    private readonly tailEntriesMax: number,
  ) {
    this.view = new LmdbKvView(dbs.data);
    this.writer = new LmdbKvWriter(dbs.data);
  }

  /** Opens (or creates) the store of `options.dataDir`; throws DATA_DIR when it cannot. */
  static async open(options: StoreOpenOptions): Promise<LmdbStore> {
    const dataDir = resolve(options.dataDir);
    prepareDataDir(dataDir);
    const lock = DirLock.acquire(dataDir);
    let env: RootDatabase | undefined;
    try {
      const storeDir = join(dataDir, STORE_DIR_NAME);
      const existed = existsSync(join(storeDir, "data.mdb"));
      ensureDir(storeDir);
      env = openEnv(storeDir);
      const dbs = openStoreDbs(env);
      const identity = loadIdentity(env, dbs, existed, options, dataDir);
      const tail = options.logTailEntriesMax ?? LOG_TAIL_ENTRIES_DEFAULT;
      return new LmdbStore(dataDir, identity, env, dbs, lock, tail);
    } catch (e) {
      // Close before releasing the lock: a reopen must not meet a closing environment.
      if (env) await env.close().catch(() => {});
      lock.release();
      throw e;
    }
  }

  /** The latest committed user data. */
  kvView(): KvView {
    return this.view;
  }

  /** The ranges that have state in this store, in id order. */
  rangeIds(): RangeId[] {
    const ids: RangeId[] = [];
    for (const key of this.dbs.applied.getKeys())
      ids.push(decodeRangeKey(key as Uint8Array) as RangeId);
    return ids;
  }

  /**
   * Creates range `rangeId` with an empty log and configuration `confState`
   * (durably, before returning) unless it exists. Used to bootstrap a node.
   */
  bootstrapRange(rangeId: RangeId, confState: ConfState): void {
    this.checkOpen();
    const key = Buffer.from(rangeKey(rangeId));
    if (this.dbs.applied.get(key) !== undefined) return;
    this.env.transactionSync(() => {
      const zero = { index: logIndex(0), term: term(0) };
      this.dbs.hardState.putSync(
        key,
        Buffer.from(encodeHardState({ term: term(0), vote: 0 as NodeId, commit: logIndex(0) })),
      );
      this.dbs.truncated.putSync(key, Buffer.from(encodeTruncatedState(zero)));
      this.dbs.applied.putSync(key, Buffer.from(encodeAppliedState({ ...zero, confState })));
    });
  }

  /** The log storage of an existing range (loaded once, then cached). */
  logStorage(rangeId: RangeId): LmdbLogStorage {
    this.checkOpen();
    const cached = this.logs.get(rangeId);
    if (cached) return cached;
    const key = Buffer.from(rangeKey(rangeId));
    const applied = this.dbs.applied.get(key);
    if (applied === undefined)
      throw new TesseraError("INTERNAL", `range ${rangeId} has no state in this store`);
    const hard = this.dbs.hardState.get(key);
    const trunc = this.dbs.truncated.get(key);
    assert(hard !== undefined && trunc !== undefined, `range ${rangeId}: raft state is missing`);
    const truncated = decodeTruncatedState(trunc);
    const log = new LmdbLogStorage(
      rangeId,
      this.dbs.log,
      {
        hardState: decodeHardState(hard),
        truncated,
        applied: decodeAppliedState(applied),
        lastIndex: this.findLastIndex(rangeId, truncated.index),
      },
      this.tailEntriesMax,
    );
    this.logs.set(rangeId, log);
    return log;
  }

  newBatch(): StoreBatch {
    return new StoreBatch();
  }

  /**
   * Writes `batch` in one transaction and resolves once it is fsynced, then
   * publishes it to the ranges' log storage. If the batch throws, nothing of it
   * is written and the error is rethrown.
   */
  async commit(batch: StoreBatch): Promise<void> {
    this.checkOpen();
    if (batch.isEmpty) return;
    const started = performance.now();
    let failure: unknown;
    let ran = false;
    await this.env.transaction(() => {
      try {
        // A child transaction aborts as a whole when the batch throws.
        void this.env.childTransaction(() => {
          batch.runInTxn({ dbs: this.dbs, writer: this.writer });
        });
        ran = true;
      } catch (e) {
        failure = e;
      }
    });
    if (failure !== undefined) throw failure;
    assert(ran, "batch did not run");
    this.commitsTotal++;
    this.lastSyncAtMs = Date.now();
    this.entriesAppendedTotal += batch.appendedEntries;
    this.commitMsTotal += performance.now() - started;
    batch.runAfterCommit();
  }

  stats(): StoreStats {
    let storeBytes = 0;
    try {
      storeBytes = statSync(join(this.dataDir, STORE_DIR_NAME, "data.mdb")).size;
    } catch {
      // The file is only absent before the first commit.
    }
    return {
      commitsTotal: this.commitsTotal,
      entriesAppendedTotal: this.entriesAppendedTotal,
      lastSyncAtMs: this.lastSyncAtMs,
      commitMsTotal: this.commitMsTotal,
      storeBytes,
    };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Waits for pending commits, closes the environment and releases the lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.env.close();
    } finally {
      this.lock.release();
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new TesseraError("SHUTTING_DOWN", "the store is closed");
  }

  private findLastIndex(rangeId: RangeId, truncatedIndex: number) {
    for (const key of this.dbs.log.getKeys({
      start: Buffer.from(logKey(rangeId + 1, 0)),
      end: Buffer.from(logKey(rangeId, 0)),
      reverse: true,
      limit: 1,
    })) {
      const index = logKeyIndex(key as Uint8Array);
      if (index > truncatedIndex) return index;
    }
    return logIndex(truncatedIndex);
  }
}

function dataDirError(dir: string, why: string, cause?: unknown): TesseraError {
  const detail = cause instanceof Error ? `: ${cause.message}` : "";
  return new TesseraError("DATA_DIR", `data directory ${dir}: ${why}${detail}`);
}

function ensureDir(dir: string): void {
  let st: ReturnType<typeof statSync> | undefined;
  try {
    st = statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") throw dataDirError(dir, `cannot be read (${code})`);
  }
  if (st && !st.isDirectory()) throw dataDirError(dir, "exists and is not a directory");
  if (!st) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw dataDirError(dir, `cannot be created (${(e as NodeJS.ErrnoException).code})`);
    }
  }
  try {
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch {
    throw dataDirError(dir, "is not readable and writable by this process");
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

/** LMDB's meta-page magic, at byte 24 of the data file (little-endian). */
const LMDB_MAGIC = 0xbeefc0de;
const LMDB_MAGIC_OFFSET = 24;

/**
 * LMDB trusts its data file: opening a file that is not one can crash the
 * process. The meta page's magic number is checked first.
 */
function checkLmdbFile(storeDir: string): void {
  const path = join(storeDir, "data.mdb");
  if (!existsSync(path)) return;
  const head = Buffer.alloc(LMDB_MAGIC_OFFSET + 4);
  let read = 0;
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    read = readSync(fd, head, 0, head.length, 0);
  } catch (e) {
    throw dataDirError(storeDir, "data file cannot be read", e);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (read < head.length || head.readUInt32LE(LMDB_MAGIC_OFFSET) !== LMDB_MAGIC) {
    throw dataDirError(
      storeDir,
      "holds a data file that is not an LMDB store (not a Tessera store)",
    );
  }
}

function openEnv(storeDir: string): RootDatabase {
  checkLmdbFile(storeDir);
  try {
    return open({
      path: storeDir,
      maxDbs: STORE_DBS_MAX,
      // Durable commits: each write transaction is fsynced before it resolves.
      overlappingSync: false,
      noSync: false,
      keyEncoding: "binary",
      encoding: "binary",
    });
  } catch (e) {
    throw dataDirError(storeDir, "is not a usable LMDB store", e);
  }
}

function loadIdentity(
  env: RootDatabase,
  dbs: StoreDbs,
  existed: boolean,
  options: StoreOpenOptions,
  dataDir: string,
): StoreIdentity {
  const key = Buffer.from(IDENTITY_KEY);
  const stored = dbs.meta.get(key);
  if (stored !== undefined) return decodeIdentity(stored, `data directory ${dataDir}`);
  const hasData =
    existed &&
    (dbs.data.getKeysCount({ limit: 1 }) > 0 || dbs.applied.getKeysCount({ limit: 1 }) > 0);
  if (hasData)
    throw dataDirError(dataDir, "holds a store without a Tessera identity (not a Tessera store)");
  const identity: StoreIdentity = {
    formatVersion: STORE_FORMAT_VERSION,
    clusterId: options.create.clusterId,
    nodeId: options.create.nodeId,
    createdAtMs: options.create.nowMs,
  };
  env.transactionSync(() => dbs.meta.putSync(key, Buffer.from(encodeIdentity(identity))));
  return identity;
}
