/**
 * What the cluster planners see and what they answer: plain data, no I/O.
 * A planner takes a snapshot of the cluster (the node table, each node's
 * liveness, each range's replica set) and returns the replica changes that
 * move it toward the goal; the driver (cluster-manager.ts) carries them out
 * one at a time and asks again, so a plan never has to be right for long.
 */
import type { NodeId, RangeId } from "../../lib/index.js";
import type { NodeRecord } from "../node-record.js";

/** As the meta leader judges it from pings (liveness.ts). */
export type Liveness = "live" | "suspect" | "dead";

export interface NodeView {
  readonly record: NodeRecord;
  readonly liveness: Liveness;
}

export interface RangeView {
  readonly rangeId: RangeId;
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

/** One change to one range's replica set; adding goes learner → caught up → voter. */
export type ReplicaChange =
  | { readonly kind: "add-voter"; readonly nodeId: NodeId }
  | { readonly kind: "remove"; readonly nodeId: NodeId };

export interface RangeChange {
  readonly rangeId: RangeId;
  readonly change: ReplicaChange;
  /** Why, in a sentence, for the log. */
  readonly reason: string;
}

// ---------------------------------------------------------------------------
// planCluster (plan.ts): the whole-cluster planner the meta leader runs every
// pass. Its input adds, per range, the span, the load and the leader; its
// output adds leadership, split and merge actions to the replica changes.

/** A range's load as its leader measures it. */
export interface RangeLoad {
  readonly keys: number;
  readonly bytes: number;
  readonly opsPerSec: number;
}

export interface PlannedRange extends RangeView {
  /** The leader as last reported; 0 when unknown. */
  readonly leaderId: NodeId | 0;
  /** Internal key span [start, end); neighbours share an end and a start. */
  readonly start: Uint8Array;
  readonly end: Uint8Array;
  /** The keyspace when the span lies inside one keyspace, else undefined. */
  readonly keyspace: number | undefined;
  /** From the leader; undefined when unknown (then the range is neither split nor merged). */
  readonly load: RangeLoad | undefined;
  /** The leader's suggested split point (the median key); undefined when it has none. */
  readonly splitKey: Uint8Array | undefined;
  /** False for the meta range (range 1) and for single-slot spans. */
  readonly splittable: boolean;
  /** False when the range's start is a split made by hand (never merged back); default true. */
  readonly mergeableWithLeft?: boolean;
}

/** The goals and bounds of `planCluster`; settings.ts checks their relations. */
export interface PlannerSettings {
  readonly replicationFactor: number;
  /** Split a range holding more bytes than this (e.g. 64 MiB)… */
  readonly splitBytesMax: number;
  /** …or more keys than this (e.g. 500 000)… */
  readonly splitKeysMax: number;
  /** …or serving more operations per second than this (load-based split). */
  readonly splitOpsPerSecMax: number;
  /** Merge two neighbours when together they hold fewer bytes than this (0: never merge)… */
  readonly mergeBytesMax: number;
  /** …and each serves fewer operations per second than this. */
  readonly mergeOpsPerSecMax: number;
  /**
   * Merge only when together they hold fewer keys than this; by default the
   * same fraction of `splitKeysMax` as `mergeBytesMax` is of `splitBytesMax`.
   */
  readonly mergeKeysMax?: number;
  /** No split is planned that would take the number of ranges above this. */
  readonly rangesMax?: number;
  /** Leaders are preferred on nodes whose locality has these labels, e.g. {region: "eu"}. */
  readonly leaderPreference?: Readonly<Record<string, string>>;
  /**
   * Replica counts of two nodes may differ by at most this fraction of the
   * mean plus one before a move is planned (e.g. 0.10); a node leading more
   * (fewer) ranges than the mean by over this fraction of it sheds (gains)
   * leaders.
   */
  readonly rebalanceThreshold: number;
  /**
   * Most membership actions (add-voter, remove) in one plan; by default
   * max(1, floor(nodes / 2)) over the nodes not removed. The same bound
   * applies to leader transfers and to splits plus merges, separately.
   */
  readonly actionsPerPlanMax?: number;
}

/** One step toward the goal; the driver carries it out and plans again. */
export type PlannedAction =
  | {
      readonly kind: "add-voter";
      readonly rangeId: RangeId;
      readonly nodeId: NodeId;
      readonly reason: string;
    }
  | {
      readonly kind: "remove";
      readonly rangeId: RangeId;
      readonly nodeId: NodeId;
      readonly reason: string;
    }
  | {
      readonly kind: "transfer-leader";
      readonly rangeId: RangeId;
      readonly to: NodeId;
      readonly reason: string;
    }
  | {
      readonly kind: "split";
      readonly rangeId: RangeId;
      readonly splitKey: Uint8Array;
      readonly reason: string;
    }
  | {
      readonly kind: "merge";
      readonly leftRangeId: RangeId;
      readonly rightRangeId: RangeId;
      readonly reason: string;
    };
