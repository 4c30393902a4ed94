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
 * | raft-hard     | rangeId                    | hard state + CRC              |
 * | raft-trunc    | rangeId                    | truncated state + CRC         |
 * | applied       | rangeId                    | applied state + CRC           |
 * | meta          | utf-8 name                 | local metadata (identity, …)  |
 */
import type { EngineDb, StorageEngine } from "./engine.js";

export interface StoreDbs {
  readonly data: EngineDb;
  readonly log: EngineDb;
  readonly hardState: EngineDb;
  readonly truncated: EngineDb;
  readonly applied: EngineDb;
  readonly meta: EngineDb;
}

export function openStoreDbs(engine: StorageEngine): StoreDbs {
  return {
    data: engine.db("data"),
    log: engine.db("raft-log"),
    hardState: engine.db("raft-hard"),
    truncated: engine.db("raft-trunc"),
    applied: engine.db("applied"),
    meta: engine.db("meta"),
  };
}
