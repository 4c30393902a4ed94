/**
 * The cluster layer (DESIGN.md §6): cluster metadata in the system keyspace
 * (node table, id allocation), bootstrap and join, remove and decommission,
 * liveness, and the pure planners. Other folders use it only through this file.
 */
export {
  type ClusterLogger,
  ClusterManager,
  type ClusterManagerOptions,
} from "./cluster-manager.js";
export type { ClusterHost, RangeReplicaInfo } from "./host.js";
export { type JoinBounds, joinCluster, seedClusterId } from "./join.js";
export { type ClusterLimits, checkClusterLimits, DEFAULT_CLUSTER_LIMITS } from "./limits.js";
export { MetaStore } from "./meta-store.js";
export {
  decodeNodeRecord,
  encodeNodeRecord,
  formatLocality,
  type NodeRecord,
  type NodeState,
} from "./node-record.js";
export type { Liveness, RangeChange, ReplicaChange } from "./planner/index.js";
export type { Addresses, JoinReply, JoinRequest, PeerAddress } from "./protocol.js";
export type { ClusterStatus, NodeStatus, RangeStatus } from "./status.js";
