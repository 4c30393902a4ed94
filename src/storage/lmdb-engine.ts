/**
 * `LmdbEngine`: the production `StorageEngine` (engine.ts), one LMDB
 * environment in a directory. The only file of Tessera that speaks to lmdb.
 *
 * Durability: the environment is opened with LMDB's synchronous commits
 * (`overlappingSync` off, never `noSync`), so `write(fn)` resolves only after
 * the transaction is fsynced. Commits run on lmdb-js's write thread, so the
 * fsync does not block the event loop. After a crash the environment is
 * exactly what its last committed transaction left (LMDB's copy-on-write
 * B+tree with two meta pages). A transaction whose `fn` throws is aborted as a
 * whole (it runs in a child transaction) and the error is rethrown.
 *
 * Reads outside a write: lmdb-js keeps one read transaction per event turn, so
 * the reads of one synchronous call see one committed state.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { type Database, open, type RootDatabase, type Transaction } from "lmdb";
import { assert, TesseraError } from "../lib/index.js";
import type {
  EngineDb,
  EngineEntry,
  EngineRangeOptions,
  EngineReadView,
  StorageEngine,
} from "./engine.js";

/** How many sub-databases the environment is opened for (room to grow). */
export const ENGINE_DBS_MAX = 16;

/** LMDB's meta-page magic, at byte 24 of the data file (little-endian). */
const LMDB_MAGIC = 0xbeefc0de;
const LMDB_MAGIC_OFFSET = 24;

type BinaryDb = Database<Uint8Array, Uint8Array>;

// Keys and values go to lmdb as the Uint8Arrays they are: with binary keys
// lmdb copies a key's bytes into its own buffer (`writeBufferKey`), and takes
// a value's address from its ArrayBuffer, so a Buffer wrapper per key and
// value (one object per read and write, a sixth of the engine's own time on a
// busy node) bought nothing.

class LmdbEngineDb implements EngineDb {
  constructor(private readonly db: BinaryDb) {}

  /** Reads the latest committed state, or the state `transaction` pinned. */
  get(key: Uint8Array, transaction?: Transaction): Uint8Array | undefined {
    return this.db.get(key as Buffer, transaction ? { transaction } : undefined);
  }

  *keys(options: { readonly start: Uint8Array; readonly end: Uint8Array }): Iterable<Uint8Array> {
    for (const key of this.db.getKeys({
      start: options.start as Buffer,
      end: options.end as Buffer,
    }))
      yield key as Uint8Array;
  }

  *range(options: EngineRangeOptions, transaction?: Transaction): Iterable<EngineEntry> {
    const { start, end, limit, reverse } = options;
    if (limit !== undefined && limit <= 0) return;
    const lo = start as Buffer | undefined;
    const hi = end as Buffer | undefined;
    const txn = transaction ? { transaction } : {};
    if (!reverse) {
      for (const { key, value } of this.db.getRange({
        ...(lo ? { start: lo } : {}),
        ...(hi ? { end: hi } : {}),
        ...(limit !== undefined ? { limit } : {}),
        ...txn,
      })) {
        yield { key: key as Uint8Array, value: value as Uint8Array };
      }
      return;
    }
    // lmdb's reverse ranges start at `start` (inclusive, our exclusive `end`):
    // skip an exact match, and stop below our inclusive lower bound.
    let taken = 0;
    for (const { key, value } of this.db.getRange({
      ...(hi ? { start: hi } : {}),
      reverse: true,
      ...txn,
    })) {
      if (hi && Buffer.compare(key as Buffer, hi) >= 0) continue;
      if (lo && Buffer.compare(key as Buffer, lo) < 0) return;
      yield { key: key as Uint8Array, value: value as Uint8Array };
      if (limit !== undefined && ++taken >= limit) return;
    }
  }

  put(key: Uint8Array, value: Uint8Array): void {
    this.db.putSync(key as Buffer, value as Buffer);
  }

  remove(key: Uint8Array): void {
    this.db.removeSync(key as Buffer);
  }

  clear(): void {
    // Inside the engine's write (a child transaction), so its abort undoes this too.
    this.db.clearSync();
  }
}

export class LmdbEngine implements StorageEngine {
  private readonly dbs = new Map<string, LmdbEngineDb>();

  private constructor(
    private readonly env: RootDatabase,
    private readonly dir: string,
  ) {}

  /** Opens (creating) the environment in `dir`; DATA_DIR when it is not a usable LMDB store. */
  static open(dir: string): LmdbEngine {
    checkLmdbFile(dir);
    try {
      const env = open({
        path: dir,
        maxDbs: ENGINE_DBS_MAX,
        // Durable commits: each write transaction is fsynced before it resolves.
        overlappingSync: false,
        noSync: false,
        keyEncoding: "binary",
        encoding: "binary",
      });
      return new LmdbEngine(env, dir);
    } catch (e) {
      throw dataDirError(dir, "is not a usable LMDB store", e);
    }
  }

  /** Whether `dir` holds an environment already. */
  static exists(dir: string): boolean {
    return existsSync(join(dir, "data.mdb"));
  }

  db(name: string): LmdbEngineDb {
    let db = this.dbs.get(name);
    if (!db) {
      db = new LmdbEngineDb(
        this.env.openDB<Uint8Array, Uint8Array>({
          name,
          keyEncoding: "binary",
          encoding: "binary",
        }),
      );
      this.dbs.set(name, db);
    }
    return db;
  }

  /**
   * A read transaction held open across event turns. LMDB keeps the pages it
   * sees until it is released (the file may grow meanwhile), so a view lives
   * as long as one snapshot stream and no longer.
   */
  readView(): EngineReadView {
    const txn = this.env.useReadTransaction();
    let released = false;
    const live = (): Transaction => {
      if (released) throw new TesseraError("INTERNAL", "read view used after release");
      return txn;
    };
    return {
      get: (db, key) => this.db(db).get(key, live()),
      range: (db, options) => this.db(db).range(options, live()),
      release: () => {
        if (released) return;
        released = true;
        txn.done();
      },
    };
  }

  async write(fn: () => void, onRan?: () => void): Promise<void> {
    let failure: unknown;
    let ran = false;
    await this.env.transaction(() => {
      try {
        // A child transaction aborts as a whole when `fn` throws.
        void this.env.childTransaction(fn);
        ran = true;
        // On the next turn: lmdb-js commits on its write thread meanwhile,
        // and whatever `onRan` sets off reads outside this transaction.
        if (onRan) setImmediate(onRan);
      } catch (e) {
        failure = e;
      }
    });
    if (failure !== undefined) throw failure;
    assert(ran, "engine write did not run");
  }

  writeSync(fn: () => void): void {
    this.env.transactionSync(fn);
  }

  sizeBytes(): number {
    try {
      return statSync(join(this.dir, "data.mdb")).size;
    } catch {
      // The file is only absent before the first commit.
      return 0;
    }
  }

  async close(): Promise<void> {
    await this.env.close();
  }
}

function dataDirError(dir: string, why: string, cause?: unknown): TesseraError {
  const detail = cause instanceof Error ? `: ${cause.message}` : "";
  return new TesseraError("DATA_DIR", `data directory ${dir}: ${why}${detail}`);
}

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
