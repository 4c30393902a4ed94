/**
 * The storage layer: a node's store over a `StorageEngine` (LMDB in
 * production). Other folders use it only through this file (and `types.ts`
 * for the pure `KvView`/`KvWriter` interfaces).
 */

export { crc32c } from "./crc32c.js";
export { DirLock, LOCK_FILE_NAME } from "./dir-lock.js";
export type {
  EngineDb,
  EngineEntry,
  EngineRangeOptions,
  EngineReadView,
  StorageEngine,
} from "./engine.js";
export { STORE_KEY_BYTES_MAX } from "./engine-kv.js";
export { LmdbEngine } from "./lmdb-engine.js";
export { RangeLogStorage } from "./log-storage.js";
export { MemoryEngine } from "./memory-engine.js";
export type { AppliedState, TruncatedState } from "./raft-codec.js";
export {
  decodeLingeringTerm,
  decodeRemovedPosition,
  encodeLingeringTerm,
  encodeRemovedPosition,
  type LogPosition,
  laterPosition,
  lingeringRangeKey,
  removedRangeKey,
} from "./removed-ranges.js";
export type { SpanBounds, SpanClear } from "./span-clear.js";
export {
  type SpanEntry,
  type SpanSnapshot,
  STORE_DIR_NAME,
  Store,
  type StoreCreateOptions,
  type StoreOpenOptions,
  type StoreStats,
  storeExists,
} from "./store.js";
export { type BatchTxn, StoreBatch } from "./store-batch.js";
export { IDENTITY_KEY, STORE_FORMAT_VERSION, type StoreIdentity } from "./store-identity.js";
export type { KvView, KvWriter } from "./types.js";

import { Store } from "./store.js";
/** @deprecated the store's old name; use `Store` (`Store.openLmdb`). */
export const LmdbStore = Store;
/** @deprecated use `Store`. */
export type LmdbStore = Store;
