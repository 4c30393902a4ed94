/**
 * The public surface of Tessera's Raft core (DESIGN.md §4). Other layers
 * import the consensus module only through this file (and `types.ts`).
 */
export { decodeConfChange, encodeConfChange } from "./conf-change-codec.js";
export type { Config, RaftTestingKnobs, ReadOnlyOption, ResolvedConfig } from "./config.js";
export { validateConfig } from "./config.js";
export { ENTRY_OVERHEAD_BYTES, entriesSize, entrySize, limitSize } from "./entries.js";
export { MemoryStorage } from "./memory-storage.js";
export { JointConfig } from "./quorum/joint-config.js";
export { MajorityConfig } from "./quorum/majority-config.js";
export type { VoteResult } from "./quorum/vote-result.js";
export { LOCAL_APPEND_THREAD, LOCAL_APPLY_THREAD } from "./raft.js";
export { NONE, RawNode, type Ready, type SnapshotStatus } from "./raw-node.js";
export type { ProgressStatus, Status } from "./status.js";
export {
  type InitialState,
  isLogStorageError,
  LOG_STORAGE_ERROR_CODES,
  type LogStorage,
  LogStorageError,
  type LogStorageErrorCode,
} from "./storage.js";
export type { ProgressState } from "./tracker/progress.js";
export * from "./types.js";
export {
  describeBytes,
  describeConfChange,
  describeConfState,
  describeEntries,
  describeEntry,
  describeHardState,
  describeMessage,
  describeReady,
  describeSnapshot,
  describeSoftState,
} from "./util.js";
