/**
 * The RESP server: Tessera's Redis-protocol front door. Other folders use it only
 * through this file: `RespServer` (listen, serve, stop) and its option types.
 */

export { REMOVED_NODE_LISTED_MS } from "./cluster-view.js";
export type {
  RedirectMode,
  RespClusterAdmin,
  RespClusterNode,
  RespClusterTopology,
  RespConfigStore,
  RespLimits,
  RespLocalRange,
  RespLogger,
  RespServerOptions,
  RespServerStats,
} from "./options.js";
export { DEFAULT_RESP_LIMITS } from "./options.js";
export { RespServer } from "./server.js";
