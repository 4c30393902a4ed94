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
