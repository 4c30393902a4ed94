/**
 * The read-only view of durable Raft state that the caller implements
 * (etcd-io/raft storage.go). Raft reads its log and snapshot through it; the
 * caller writes to it when it persists a Ready.
 *
 * Contract: entries in [firstIndex(), lastIndex()] are readable; the entry at
 * firstIndex()-1 is the one covered by the latest snapshot and only its term is
 * known. Reading below firstIndex() fails with COMPACTED, beyond lastIndex()
 * with UNAVAILABLE; those are the only failures Raft tolerates.
 */
import type { LogIndex, Term } from "../lib/index.js";
import type { ConfState, Entry, HardState, Snapshot } from "./types.js";

export const LOG_STORAGE_ERROR_CODES = [
  "COMPACTED", // the requested index is below the first available index
  "UNAVAILABLE", // the requested index is beyond the last index
  "SNAPSHOT_OUT_OF_DATE", // a snapshot older than the current one was offered
  "SNAPSHOT_TEMPORARILY_UNAVAILABLE", // the snapshot is being built; retry later
] as const;
export type LogStorageErrorCode = (typeof LOG_STORAGE_ERROR_CODES)[number];

/** The closed set of failures a `LogStorage` may report to Raft. */
export class LogStorageError extends Error {
  override readonly name = "LogStorageError";
  constructor(
    readonly code: LogStorageErrorCode,
    message: string = code,
  ) {
    super(message);
  }
}

export function isLogStorageError(e: unknown, code?: LogStorageErrorCode): e is LogStorageError {
  return e instanceof LogStorageError && (code === undefined || e.code === code);
}

export interface InitialState {
  readonly hardState: HardState;
  readonly confState: ConfState;
}

export interface LogStorage {
  /** The persisted hard state and configuration to start from. */
  initialState(): InitialState;
  /**
   * Entries in [lo, hi), at most `maxBytes` of data but always at least one
   * entry when any is in range. Throws COMPACTED or UNAVAILABLE.
   */
  entries(lo: LogIndex, hi: LogIndex, maxBytes: number): Entry[];
  /** The term of entry `i`, for i in [firstIndex()-1, lastIndex()]. Throws COMPACTED or UNAVAILABLE. */
  term(i: LogIndex): Term;
  firstIndex(): LogIndex;
  lastIndex(): LogIndex;
  /** The latest snapshot. May throw SNAPSHOT_TEMPORARILY_UNAVAILABLE. */
  snapshot(): Snapshot;
}
