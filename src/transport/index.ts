/**
 * The public surface of the transport layer (DESIGN.md §3): the `Bus`
 * contract, its TCP implementation and the bus's named limits. Other folders
 * import the transport only through this file.
 */
export { formatAddress, type HostPort, parseAddress } from "./address.js";
export {
  BUS_PROTOCOL_VERSION,
  type BusLimits,
  checkBusLimits,
  DEFAULT_BUS_LIMITS,
} from "./limits.js";
export type { BusLogger } from "./logger.js";
export type { BusStats, PeerTraffic } from "./stats.js";
export { TcpBus, type TcpBusOptions } from "./tcp-bus.js";
export type * from "./types.js";
