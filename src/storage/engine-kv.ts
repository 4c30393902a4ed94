/**
 * `KvView` and `KvWriter` over the user-data sub-database of a store's
 * engine (engine.ts).
 *
 * A view reads the latest committed state; the reads of one synchronous call
 * see one snapshot (the engine's contract for reads outside a write). A writer
 * is used only inside a store write transaction (see StoreBatch): its writes
 * go to that transaction and its reads see them.
 *
 * Keys are internal keys of at most `STORE_KEY_BYTES_MAX` bytes (LMDB's key
 * size limit, kept for every engine so a store moves between engines); longer
 * keys are refused before they are proposed, so a writer meeting one is a bug.
 */
import { assert, compareBytes } from "../lib/index.js";
import type { EngineDb } from "./engine.js";
import type { KvView, KvWriter } from "./types.js";

/** The longest internal key a store holds (LMDB's compiled-in maximum key size). */
export const STORE_KEY_BYTES_MAX = 1978;

export class EngineKvView implements KvView {
  constructor(protected readonly db: EngineDb) {}

  get(key: Uint8Array): Uint8Array | undefined {
    if (key.byteLength === 0 || key.byteLength > STORE_KEY_BYTES_MAX) return undefined;
    return this.db.get(key);
  }

  *scan(
    start: Uint8Array,
    end: Uint8Array,
    limit: number,
  ): Iterable<{ key: Uint8Array; value: Uint8Array }> {
    if (limit <= 0 || compareBytes(start, end) >= 0) return;
    yield* this.db.range({ start, end, limit });
  }

  count(start: Uint8Array, end: Uint8Array): number {
    if (compareBytes(start, end) >= 0) return 0;
    let n = 0;
    for (const _ of this.db.range({ start, end })) n++;
    return n;
  }
}

export class EngineKvWriter extends EngineKvView implements KvWriter {
  put(key: Uint8Array, record: Uint8Array): void {
    assert(
      key.byteLength > 0 && key.byteLength <= STORE_KEY_BYTES_MAX,
      `internal key of ${key.byteLength} bytes reached the store`,
    );
    this.db.put(key, record);
  }

  delete(key: Uint8Array): void {
    if (key.byteLength === 0 || key.byteLength > STORE_KEY_BYTES_MAX) return;
    this.db.remove(key);
  }

  deleteRange(start: Uint8Array, end: Uint8Array): void {
    deleteSpan(this.db, start, end);
  }
}

/** Deletes every key of `db` in [start, end). */
export function deleteSpan(db: EngineDb, start: Uint8Array, end: Uint8Array): void {
  if (compareBytes(start, end) >= 0) return;
  // Collect first: removing while a cursor walks the same range is not allowed.
  // Keys only: a log of big entries would otherwise be read whole to be deleted.
  const keys = db.keys
    ? [...db.keys({ start, end })]
    : [...db.range({ start, end })].map((e) => e.key);
  for (const key of keys) db.remove(key);
}
