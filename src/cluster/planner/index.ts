/**
 * The cluster planners (DESIGN.md §6): pure functions from a snapshot of the
 * cluster to the replica changes that move it toward its goal. No I/O, no
 * clocks, no timers, no async (the architecture test checks this folder).
 */
export { classifyLiveness, type LivenessBounds } from "./liveness.js";
export {
  planDecommission,
  planRemoval,
  quorumRefusal,
  type RemovalInput,
  type RemovalPlan,
} from "./removal.js";
export {
  pickTarget,
  planReplication,
  type ReplicationInput,
  replicaCounts,
} from "./replication.js";
export type { Liveness, NodeView, RangeChange, RangeView, ReplicaChange } from "./types.js";
