/**
 * What the cluster layer needs of the node's store host (src/range): the
 * `KvService` through which it reads and writes metadata in the system
 * keyspace, a view of each hosted range's replica set and progress, and the
 * replica change a range leader carries out (learner → caught up → voter, or
 * a removal, under joint consensus). The server composes it from `StoreHost`.
 */
import type { NodeId, RangeId } from "../lib/index.js";
import type { KvService, RangeLoadReport, RangeSummary } from "../range/index.js";
import type { ReplicaChange } from "./planner/index.js";

export interface RangeReplicaInfo {
  readonly rangeId: RangeId;
  /** 0 when unknown. */
  readonly leaderId: NodeId;
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  /** On the leader: its commit index and each follower's match index. */
  readonly commitIndex: number;
  readonly progress: readonly { readonly nodeId: NodeId; readonly matchIndex: number }[];
}

export interface ClusterHost {
  readonly service: KvService;
  /** Ranges this node holds a replica of, in id order. */
  rangeIds(): readonly RangeId[];
  rangeInfo(rangeId: RangeId): RangeReplicaInfo | undefined;
  /** Runs on the range's leader; resolves once the change is committed and applied. */
  changeReplicas(rangeId: RangeId, change: ReplicaChange, timeoutMs: number): Promise<void>;
  /** Hands the range's leadership to `to`; resolves once `to` leads. */
  transferLeader(rangeId: RangeId, to: NodeId): Promise<void>;
  /** Nodes the host may ask for a range's leader when it holds no replica of the range. */
  setPeerCandidates(candidates: () => readonly NodeId[]): void;
  /** Every range as the node's range cache knows it, in key order. */
  ranges(): readonly RangeSummary[];
  /** Reloads the range cache from the meta table. */
  refreshRanges(): Promise<void>;
  /**
   * A number that changes whenever the meta table may have (the local meta
   * replica's applied index); undefined when this node holds no replica of
   * the meta range.
   */
  metaVersion(): number | undefined;
  /**
   * The load of each range this node leads. Reading it changes nothing (the
   * planner and status both read it, at any time).
   */
  rangeLoads(): readonly RangeLoadReport[];
  /** Splits a range at an internal key; resolves with the new range's id. */
  split(rangeId: RangeId, splitKey: Uint8Array): Promise<RangeId>;
  /** Merges `right` into its left neighbour `left` (same members); resolves once applied. */
  merge(left: RangeId, right: RangeId): Promise<void>;
}
