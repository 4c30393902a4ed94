/**
 * `MemoryEngine`: a `StorageEngine` (engine.ts) in memory, for unit tests and
 * as a starting point for simulated disks. Each sub-database is a sorted array
 * of entries; a write runs `fn` against a copy-on-write overlay and publishes
 * it only if `fn` returns, so a throwing transaction writes nothing. "Durable"
 * is immediate: nothing is ever lost.
 */
import { compareBytes } from "../lib/index.js";
import type {
  EngineDb,
  EngineEntry,
  EngineRangeOptions,
  EngineReadView,
  StorageEngine,
} from "./engine.js";

type Table = Map<string, EngineEntry>;

function hex(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("hex");
}

class MemoryDb implements EngineDb {
  /** Committed entries by hex key (hex order is byte order). */
  committed: Table = new Map();
  /** The open transaction's changes: an entry, or null for a removal. */
  overlay: Map<string, EngineEntry | null> | undefined;

  constructor(private readonly engine: MemoryEngine) {}

  get(key: Uint8Array): Uint8Array | undefined {
    const k = hex(key);
    if (this.overlay?.has(k)) return this.overlay.get(k)?.value;
    return this.committed.get(k)?.value;
  }

  *range(options: EngineRangeOptions): Iterable<EngineEntry> {
    const merged = new Map(this.committed);
    if (this.overlay)
      for (const [k, e] of this.overlay) {
        if (e) merged.set(k, e);
        else merged.delete(k);
      }
    yield* rangeOf(merged, options);
  }

  put(key: Uint8Array, value: Uint8Array): void {
    this.engine.checkInWrite();
    // Copies, as plain arrays (a Buffer's own `slice` would share the caller's memory).
    this.overlay!.set(hex(key), { key: new Uint8Array(key), value: new Uint8Array(value) });
  }

  remove(key: Uint8Array): void {
    this.engine.checkInWrite();
    this.overlay!.set(hex(key), null);
  }

  clear(): void {
    this.engine.checkInWrite();
    for (const e of [...this.range({})]) this.overlay!.set(hex(e.key), null);
  }
}

/** The entries of `table` within `options`, in key order (or reversed). */
function* rangeOf(table: Table, options: EngineRangeOptions): Iterable<EngineEntry> {
  const rows = [...table.entries()]
    .filter(
      ([, e]) =>
        (!options.start || compareBytes(e.key, options.start) >= 0) &&
        (!options.end || compareBytes(e.key, options.end) < 0),
    )
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, e]) => e);
  if (options.reverse) rows.reverse();
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  for (let i = 0; i < rows.length && i < limit; i++) yield rows[i]!;
}

export class MemoryEngine implements StorageEngine {
  private readonly dbs = new Map<string, MemoryDb>();
  private inWrite = false;
  /** Transactions committed (for tests). */
  writesTotal = 0;

  db(name: string): EngineDb {
    let db = this.dbs.get(name);
    if (!db) {
      db = new MemoryDb(this);
      if (this.inWrite) db.overlay = new Map();
      this.dbs.set(name, db);
    }
    return db;
  }

  /** A copy of the committed tables: later writes do not reach it. */
  readView(): EngineReadView {
    const tables = new Map<string, Table>();
    for (const [name, db] of this.dbs) tables.set(name, new Map(db.committed));
    let released = false;
    const table = (name: string): Table => {
      if (released) throw new Error("memory engine: read view used after release");
      return tables.get(name) ?? new Map();
    };
    return {
      get: (db, key) => table(db).get(hex(key))?.value,
      range: (db, options) => rangeOf(table(db), options),
      release: () => {
        released = true;
      },
    };
  }

  async write(fn: () => void, onRan?: () => void): Promise<void> {
    await Promise.resolve();
    this.writeSync(fn);
    onRan?.();
  }

  writeSync(fn: () => void): void {
    if (this.inWrite) throw new Error("memory engine: nested write");
    this.inWrite = true;
    for (const db of this.dbs.values()) db.overlay = new Map();
    try {
      fn();
      for (const db of this.dbs.values()) {
        for (const [k, e] of db.overlay!) {
          if (e) db.committed.set(k, e);
          else db.committed.delete(k);
        }
      }
      this.writesTotal++;
    } finally {
      for (const db of this.dbs.values()) db.overlay = undefined;
      this.inWrite = false;
    }
  }

  /** Called by a db: writes only inside a transaction. */
  checkInWrite(): void {
    if (!this.inWrite) throw new Error("memory engine: write outside a transaction");
  }

  sizeBytes(): number {
    let n = 0;
    for (const db of this.dbs.values())
      for (const e of db.committed.values()) n += e.key.byteLength + e.value.byteLength;
    return n;
  }

  async close(): Promise<void> {}
}
