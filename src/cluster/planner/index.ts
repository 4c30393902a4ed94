/**
 * The cluster planners (DESIGN.md §6): pure functions from a snapshot of the
 * cluster to the changes that move it toward its goal. No I/O, no clocks, no
 * timers, no async (the architecture test checks this folder).
 *
 * `planCluster` (plan.ts) is the whole-cluster planner the meta leader runs
 * every pass: repair, decommission, locality diversity, replica and leader
 * balance, splits and merges. `planReplication`, `planRemoval` and
 * `planDecommission` are the narrower planners it grew from.
 */
export { classifyLiveness, type LivenessBounds } from "./liveness.js";
export { type ClusterPlanInput, planCluster } from "./plan.js";
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
export { checkPlannerSettings, DEFAULT_PLANNER_SETTINGS } from "./settings.js";
export type {
  Liveness,
  NodeView,
  PlannedAction,
  PlannedRange,
  PlannerSettings,
  RangeChange,
  RangeLoad,
  RangeView,
  ReplicaChange,
} from "./types.js";
