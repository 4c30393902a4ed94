/**
 * The sub-databases of a store, all in one `StorageEngine` (engine.ts). Every
 * one of them is written only inside a store write transaction (StoreBatch),
 * so a crash leaves all of them as the same last committed transaction left
 * them.
 *
 * | name          | key                        | value                         |
 * |---------------|----------------------------|-------------------------------|
 * | data          | internal key (lib/keys.ts) | record (lib/record.ts)        |
 * | raft-log      | rangeId, index (u64 BE)    | entry + CRC (raft-codec.ts)   |
 * | raft-journal  | sequence number (u64 BE)   | rangeId, index, entry + CRC   |
 * | raft-hard     | rangeId                    | hard state + CRC              |
 * | raft-trunc    | rangeId                    | truncated state + CRC         |
 * | applied       | rangeId                    | applied state + CRC           |
 * | meta          | utf-8 name                 | local metadata (identity, …)  |
 *
 * New log entries of every range go to `raft-journal` first and move to
 * `raft-log` in bulk (log-journal.ts).
 */
import type { EngineDb, StorageEngine } from "./engine.js";

export interface StoreDbs {
  readonly data: EngineDb;
  readonly log: EngineDb;
  readonly journal: EngineDb;
  readonly hardState: EngineDb;
  readonly truncated: EngineDb;
  readonly applied: EngineDb;
  readonly meta: EngineDb;
}

/** Names of the sub-databases a read view reads by name (engine.ts `EngineReadView`). */
export const DATA_DB = "data";
export const APPLIED_DB = "applied";

export function openStoreDbs(engine: StorageEngine): StoreDbs {
  return {
    data: engine.db(DATA_DB),
    log: engine.db("raft-log"),
    journal: engine.db("raft-journal"),
    hardState: engine.db("raft-hard"),
    truncated: engine.db("raft-trunc"),
    applied: engine.db(APPLIED_DB),
    meta: engine.db("meta"),
  };
}
