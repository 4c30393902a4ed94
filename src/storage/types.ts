/**
 * The storage interfaces the pure layers see (DESIGN.md §3: "kv → storage
 * ifaces"). Only this file of src/storage may be imported by kv; it imports
 * nothing that does I/O.
 *
 * Keys here are internal keys (see lib/keys.ts): ordered byte strings that
 * begin with the keyspace id and, in hash keyspaces, the slot.
 */

/** A consistent read view of user data (one LMDB read or write transaction). */
export interface KvView {
  /** The stored record bytes of `key` (see lib/record.ts), or undefined. */
  get(key: Uint8Array): Uint8Array | undefined;
  /**
   * Entries with `start <= key < end` in key order, at most `limit` of them.
   * `end` undefined means "to the end of the keyspace of `start`'s prefix" is
   * the caller's business: pass an explicit bound.
   */
  scan(
    start: Uint8Array,
    end: Uint8Array,
    limit: number,
  ): Iterable<{ key: Uint8Array; value: Uint8Array }>;
  /** Number of keys with `start <= key < end` (may walk the range). */
  count(start: Uint8Array, end: Uint8Array): number;
}

/** A view that also takes writes; reads see the writes made through it. */
export interface KvWriter extends KvView {
  put(key: Uint8Array, record: Uint8Array): void;
  delete(key: Uint8Array): void;
  /** Deletes every key with `start <= key < end`. */
  deleteRange(start: Uint8Array, end: Uint8Array): void;
}
