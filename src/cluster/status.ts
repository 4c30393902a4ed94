/**
 * The cluster as `tessera status` and `TESSERA.STATUS` show it: every node
 * with its liveness as the meta leader judges it, and every range with its
 * leader, voters and each follower's replication lag (the leader's commit
 * index minus the follower's match index).
 */
import type { NodeId, RangeId } from "../lib/index.js";
import type { NodeRecord } from "./node-record.js";
import type { Liveness } from "./planner/index.js";

export interface NodeStatus extends NodeRecord {
  readonly liveness: Liveness;
  readonly silentMs: number;
}

export interface RangeStatus {
  readonly rangeId: RangeId;
  readonly leaderId: NodeId;
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  readonly commitIndex: number;
  readonly replicas: readonly {
    readonly nodeId: NodeId;
    readonly matchIndex: number;
    readonly lag: number;
  }[];
}

export interface ClusterStatus {
  readonly clusterId: string;
  readonly metaLeader: NodeId;
  readonly nodes: readonly NodeStatus[];
  readonly ranges: readonly RangeStatus[];
}
