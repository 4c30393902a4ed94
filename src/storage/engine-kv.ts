/**
 * `KvView` and `KvWriter` over the store's user-data sub-database.
 *
 * A view reads the latest committed state (lmdb-js keeps one read transaction
 * per event turn, so the reads of one synchronous call see one snapshot). A
 * writer exists only inside a store write transaction (see StoreBatch): its
 * writes go to that transaction and its reads see them.
 *
 * Keys are internal keys of at most `STORE_KEY_BYTES_MAX` bytes (LMDB's key
 * size limit); longer keys are refused before they are proposed, so a writer
 * meeting one is a bug.
 */
import type { Database } from "lmdb";
import { assert } from "../lib/index.js";
import type { KvView, KvWriter } from "./types.js";

/** The longest internal key LMDB stores (its compiled-in maximum key size). */
export const STORE_KEY_BYTES_MAX = 1978;

export type BinaryDb = Database<Uint8Array, Uint8Array>;

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export class LmdbKvView implements KvView {
  constructor(protected readonly db: BinaryDb) {}

  get(key: Uint8Array): Uint8Array | undefined {
    if (key.byteLength === 0 || key.byteLength > STORE_KEY_BYTES_MAX) return undefined;
    return this.db.get(asBuffer(key));
  }

  *scan(
    start: Uint8Array,
    end: Uint8Array,
    limit: number,
  ): Iterable<{ key: Uint8Array; value: Uint8Array }> {
    if (limit <= 0 || Buffer.compare(asBuffer(start), asBuffer(end)) >= 0) return;
    for (const { key, value } of this.db.getRange({
      start: asBuffer(start),
      end: asBuffer(end),
      limit,
    })) {
      yield { key: key as Uint8Array, value: value as Uint8Array };
    }
  }

  count(start: Uint8Array, end: Uint8Array): number {
    if (Buffer.compare(asBuffer(start), asBuffer(end)) >= 0) return 0;
    return this.db.getKeysCount({ start: asBuffer(start), end: asBuffer(end) });
  }
}

export class LmdbKvWriter extends LmdbKvView implements KvWriter {
  put(key: Uint8Array, record: Uint8Array): void {
    assert(
      key.byteLength > 0 && key.byteLength <= STORE_KEY_BYTES_MAX,
      `internal key of ${key.byteLength} bytes reached the store`,
    );
    this.db.putSync(asBuffer(key), asBuffer(record));
  }

  delete(key: Uint8Array): void {
    if (key.byteLength === 0 || key.byteLength > STORE_KEY_BYTES_MAX) return;
    this.db.removeSync(asBuffer(key));
  }

  deleteRange(start: Uint8Array, end: Uint8Array): void {
    if (Buffer.compare(asBuffer(start), asBuffer(end)) >= 0) return;
    // Collect first: removing while a cursor walks the same range is not allowed.
    const keys = [...this.db.getKeys({ start: asBuffer(start), end: asBuffer(end) })];
    for (const key of keys) this.db.removeSync(key as Buffer);
  }
}
