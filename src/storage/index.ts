/**
 * The storage layer: a node's LMDB store. Other folders use it only through
 * this file (and `types.ts` for the pure `KvView`/`KvWriter` interfaces).
 */

export { DirLock, LOCK_FILE_NAME } from "./dir-lock.js";
export { STORE_KEY_BYTES_MAX } from "./lmdb-kv.js";
export {
  LmdbStore,
  STORE_DIR_NAME,
  type StoreOpenOptions,
  type StoreStats,
} from "./lmdb-store.js";
export { LmdbLogStorage } from "./log-storage.js";
export type { AppliedState, TruncatedState } from "./raft-codec.js";
export { type BatchTxn, StoreBatch } from "./store-batch.js";
export { IDENTITY_KEY, STORE_FORMAT_VERSION, type StoreIdentity } from "./store-identity.js";
export type { KvView, KvWriter } from "./types.js";
