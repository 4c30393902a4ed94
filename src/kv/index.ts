/**
 * The `kv` layer's public surface (DESIGN.md §3): Tessera's deterministic
 * key-value state machine. Other layers import kv only through this file.
 *
 * - `applyWrite` applies a committed write command to a `KvWriter`;
 * - `executeRead` answers a read command from a `KvView`;
 * - `findExpiredKeys` / `keyspaceStats` serve the background expirer and INFO;
 * - `encodeCommand` / `decodeCommand` are the log's byte form of commands;
 * - `MemoryKvStore` is the in-memory store of tests and the simulator.
 */
export { applyWrite } from "./apply.js";
export {
  COMMAND_FORMAT_VERSION,
  type DecodedCommand,
  decodeCommand,
  encodeCommand,
} from "./codec.js";
export * from "./command.js";
export type { ApplyContext, CommandStamp, KeyspaceModeOf, ReadContext } from "./context.js";
export {
  addCounters,
  type KeyspaceCounters,
  type KeyspaceStats,
  keyspaceStats,
  readCounters,
} from "./counters.js";
export { type ExpiredKeys, findExpiredKeys } from "./expiry.js";
export * from "./limits.js";
export { MemoryKvStore } from "./memory-store.js";
export { formatLongDouble, INT64_MAX, INT64_MIN, parseInt64, parseLongDouble } from "./numbers.js";
export { executeRead } from "./read.js";
export * from "./reply.js";
export { decodeScanCursor, encodeScanCursor } from "./scan.js";
export { cmd as testCommands, KvHarness, type PlainReply, plain as plainReply } from "./testing.js";
