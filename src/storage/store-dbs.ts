/**
 * The sub-databases of a store's LMDB environment, opened together with binary
 * keys and values. Every one of them is written only inside a store write
 * transaction (StoreBatch), so a crash leaves all of them as the same last
 * committed transaction left them.
 *
 * | name          | key                        | value                         |
 * |---------------|----------------------------|-------------------------------|
 * | data          | internal key (lib/keys.ts) | record (lib/record.ts)        |
 * | raft-log      | rangeId, index (u64 BE)    | entry (raft-codec.ts)         |
 * | raft-hard     | rangeId                    | hard state                    |
 * | raft-trunc    | rangeId                    | truncated state               |
 * | applied       | rangeId                    | applied state                 |
 * | meta          | utf-8 name                 | local metadata (identity, …)  |
 */
import type { RootDatabase } from "lmdb";
import type { BinaryDb } from "./lmdb-kv.js";

export interface StoreDbs {
  readonly data: BinaryDb;
  readonly log: BinaryDb;
  readonly hardState: BinaryDb;
  readonly truncated: BinaryDb;
  readonly applied: BinaryDb;
  readonly meta: BinaryDb;
}

/** How many sub-databases the environment is opened for (room to grow). */
export const STORE_DBS_MAX = 16;

export function openStoreDbs(env: RootDatabase): StoreDbs {
  const open = (name: string): BinaryDb =>
    env.openDB<Uint8Array, Uint8Array>({ name, keyEncoding: "binary", encoding: "binary" });
  return {
    data: open("data"),
    log: open("raft-log"),
    hardState: open("raft-hard"),
    truncated: open("raft-trunc"),
    applied: open("applied"),
    meta: open("meta"),
  };
}
