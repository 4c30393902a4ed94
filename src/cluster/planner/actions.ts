/**
 * Building `PlannedAction`s and the two facts the plan's bookkeeping needs
 * about each: which ranges it touches (one action per range per plan) and
 * which budget it draws on (membership, leadership, or split/merge).
 */
import { assertNever, type NodeId, type RangeId } from "../../lib/index.js";
import type { PlannedAction, PlannedRange } from "./types.js";

export type ActionFamily = "membership" | "leadership" | "split-merge";

export function addVoter(r: PlannedRange, nodeId: NodeId, reason: string): PlannedAction {
  return { kind: "add-voter", rangeId: r.rangeId, nodeId, reason };
}

export function removeReplica(r: PlannedRange, nodeId: NodeId, reason: string): PlannedAction {
  return { kind: "remove", rangeId: r.rangeId, nodeId, reason };
}

export function transferLeader(r: PlannedRange, to: NodeId, reason: string): PlannedAction {
  return { kind: "transfer-leader", rangeId: r.rangeId, to, reason };
}

export function familyOf(a: PlannedAction): ActionFamily {
  switch (a.kind) {
    case "add-voter":
    case "remove":
      return "membership";
    case "transfer-leader":
      return "leadership";
    case "split":
    case "merge":
      return "split-merge";
    default:
      return assertNever(a, "planned action");
  }
}

export function rangesOf(a: PlannedAction): RangeId[] {
  return a.kind === "merge" ? [a.leftRangeId, a.rightRangeId] : [a.rangeId];
}
