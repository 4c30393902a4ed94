/**
 * A tiny model of the driver for planner tests: applies a plan's actions to
 * a snapshot the way the cluster would (an add makes a voter, a remove drops
 * a replica, a transfer moves the leader, a split halves a range and its
 * load, a merge joins two), elects a leader where one is missing (the lowest
 * live voter, when the voters have a live quorum), and replans until a plan
 * comes back empty.
 */
import { assert, assertNever, type NodeId, rangeId } from "../../../lib/index.js";
import { type ClusterPlanInput, planCluster } from "../plan.js";
import { hasLiveQuorum } from "../quorum.js";
import type { PlannedAction, PlannedRange } from "../types.js";

export function applyPlan(
  input: ClusterPlanInput,
  actions: readonly PlannedAction[],
): ClusterPlanInput {
  let ranges = [...input.ranges];
  let nextId = Math.max(0, ...ranges.map((r) => r.rangeId)) + 1;
  const at = (id: number): number => {
    const i = ranges.findIndex((r) => r.rangeId === id);
    assert(i >= 0, `no range ${id}`);
    return i;
  };
  for (const a of actions) {
    switch (a.kind) {
      case "add-voter": {
        const r = ranges[at(a.rangeId)] as PlannedRange;
        assert(!r.voters.includes(a.nodeId), "add of an existing voter");
        ranges[at(a.rangeId)] = {
          ...r,
          voters: [...r.voters, a.nodeId],
          learners: r.learners.filter((id) => id !== a.nodeId),
        };
        break;
      }
      case "remove": {
        const r = ranges[at(a.rangeId)] as PlannedRange;
        ranges[at(a.rangeId)] = {
          ...r,
          voters: r.voters.filter((id) => id !== a.nodeId),
          learners: r.learners.filter((id) => id !== a.nodeId),
          leaderId: r.leaderId === a.nodeId ? 0 : r.leaderId,
        };
        break;
      }
      case "transfer-leader": {
        const r = ranges[at(a.rangeId)] as PlannedRange;
        ranges[at(a.rangeId)] = { ...r, leaderId: a.to };
        break;
      }
      case "split": {
        const r = ranges[at(a.rangeId)] as PlannedRange;
        const half = (n: number) => Math.floor(n / 2);
        const l = r.load;
        const left = l && { keys: half(l.keys), bytes: half(l.bytes), opsPerSec: l.opsPerSec / 2 };
        const right = l && {
          keys: l.keys - half(l.keys),
          bytes: l.bytes - half(l.bytes),
          opsPerSec: l.opsPerSec / 2,
        };
        ranges[at(a.rangeId)] = { ...r, end: a.splitKey, load: left, splitKey: undefined };
        ranges.push({
          ...r,
          rangeId: rangeId(nextId++),
          start: a.splitKey,
          load: right,
          splitKey: undefined,
        });
        break;
      }
      case "merge": {
        const l = ranges[at(a.leftRangeId)] as PlannedRange;
        const r = ranges[at(a.rightRangeId)] as PlannedRange;
        const sum = l.load &&
          r.load && {
            keys: l.load.keys + r.load.keys,
            bytes: l.load.bytes + r.load.bytes,
            opsPerSec: l.load.opsPerSec + r.load.opsPerSec,
          };
        ranges[at(a.leftRangeId)] = { ...l, end: r.end, load: sum, splitKey: undefined };
        ranges = ranges.filter((x) => x.rangeId !== a.rightRangeId);
        break;
      }
      default:
        assertNever(a, "planned action");
    }
  }
  const live = new Set(
    input.nodes
      .filter((n) => n.liveness === "live" && n.record.state !== "removed")
      .map((n) => n.record.id),
  );
  return { ...input, ranges: ranges.map((r) => elect(r, (id) => live.has(id))) };
}

function elect(r: PlannedRange, isLive: (id: NodeId) => boolean): PlannedRange {
  if (r.leaderId !== 0 && r.voters.includes(r.leaderId) && isLive(r.leaderId)) return r;
  if (!hasLiveQuorum(r.voters, isLive)) return { ...r, leaderId: 0 };
  const leader = [...r.voters].sort((a, b) => a - b).find(isLive);
  return { ...r, leaderId: leader ?? 0 };
}

export interface SimulationResult {
  readonly state: ClusterPlanInput;
  /** Plans that had actions. */
  readonly passes: number;
  /** Whether the last plan was empty. */
  readonly converged: boolean;
  readonly actions: number;
}

/**
 * Plans and applies until a plan is empty or `passesMax` plans had actions.
 * `each` sees every plan with the state it was made from.
 */
export function runToFixedPoint(
  start: ClusterPlanInput,
  passesMax: number,
  each?: (state: ClusterPlanInput, plan: readonly PlannedAction[]) => void,
): SimulationResult {
  let state = start;
  let actions = 0;
  for (let pass = 0; pass <= passesMax; pass++) {
    const plan = planCluster(state);
    each?.(state, plan);
    if (plan.length === 0) return { state, passes: pass, converged: true, actions };
    actions += plan.length;
    state = applyPlan(state, plan);
  }
  return { state, passes: passesMax, converged: false, actions };
}

/** Replicas (voters and learners) per node id. */
export function replicaCountsOf(state: ClusterPlanInput): Map<number, number> {
  const out = new Map<number, number>();
  for (const r of state.ranges) {
    for (const id of [...r.voters, ...r.learners]) out.set(id, (out.get(id) ?? 0) + 1);
  }
  return out;
}

/** Ranges led per node id. */
export function leaderCountsOf(state: ClusterPlanInput): Map<number, number> {
  const out = new Map<number, number>();
  for (const r of state.ranges)
    if (r.leaderId !== 0) out.set(r.leaderId, (out.get(r.leaderId) ?? 0) + 1);
  return out;
}
