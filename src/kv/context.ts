/**
 * What applying a command may know besides the command and the stored state.
 * Everything here is chosen by the leader and carried with the entry (the
 * stamp) or fixed at keyspace creation (the mode), so every replica applies an
 * entry to the same bytes.
 */
import type { KeyspaceId, KeyspaceMode } from "../lib/index.js";

/** How keyspaces partition keys; fixed at creation, so deterministic. */
export type KeyspaceModeOf = (ks: KeyspaceId) => KeyspaceMode;

export interface ApplyContext {
  /** The entry's stamp: Unix ms that expiries are resolved and checked against. */
  readonly nowMs: number;
  /** The entry's HLC timestamp, written as the version of every record it writes. */
  readonly version: bigint;
  /** The mode of each keyspace; every keyspace is `hash` when absent (Redis databases). */
  readonly modeOf?: KeyspaceModeOf;
}

export interface ReadContext {
  /** Unix ms that expiry is judged against. */
  readonly nowMs: number;
  readonly modeOf?: KeyspaceModeOf;
}

/** The stamp an entry carries in the replication log (see codec.ts). */
export interface CommandStamp {
  readonly nowMs: number;
  readonly version: bigint;
}

export const allHash: KeyspaceModeOf = () => "hash";
