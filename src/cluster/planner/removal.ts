/**
 * Taking a node out of every range: `planRemoval` (remove now) and
 * `planDecommission` (move its replicas to spare nodes first, then remove).
 *
 * Safety rule: a removal is refused when a range would be left without a
 * quorum of live voters. A configuration change commits under joint
 * consensus, which needs a quorum of live voters in the old configuration and
 * in the new one (Raft §6), so both are checked. A removal that would leave a
 * range with no voter at all is refused as well.
 */
import type { NodeId } from "../../lib/index.js";
import { pickTarget, replicaCounts } from "./replication.js";
import type { NodeView, RangeChange, RangeView } from "./types.js";

export interface RemovalInput {
  readonly target: NodeId;
  readonly nodes: readonly NodeView[];
  readonly ranges: readonly RangeView[];
}

export type RemovalPlan =
  | { readonly ok: true; readonly changes: readonly RangeChange[] }
  | { readonly ok: false; readonly reason: string };

/** Removes `target` from every range it holds a replica of, if every range keeps a live quorum. */
export function planRemoval(input: RemovalInput): RemovalPlan {
  const live = liveSet(input.nodes);
  const changes: RangeChange[] = [];
  for (const range of sorted(input.ranges)) {
    if (!holds(range, input.target)) continue;
    const refusal = quorumRefusal(range, input.target, live);
    if (refusal !== undefined) return { ok: false, reason: refusal };
    changes.push({
      rangeId: range.rangeId,
      change: { kind: "remove", nodeId: input.target },
      reason: `node ${input.target} is being removed`,
    });
  }
  return { ok: true, changes };
}

/**
 * For each range `target` holds: a replica on a spare node first (when there
 * is one), then the removal. Without a spare the range shrinks, under the
 * same quorum rule as `planRemoval`.
 */
export function planDecommission(input: RemovalInput): RemovalPlan {
  const live = liveSet(input.nodes);
  const byId = new Map(input.nodes.map((n) => [n.record.id, n] as const));
  const load = replicaCounts(input.ranges);
  const changes: RangeChange[] = [];
  const others = input.nodes.filter((n) => n.record.id !== input.target);
  for (const range of sorted(input.ranges)) {
    if (!holds(range, input.target)) continue;
    const members = [...range.voters, ...range.learners];
    const spare = pickTarget(others, members, byId, load);
    if (spare !== undefined) {
      load.set(spare, (load.get(spare) ?? 0) + 1);
      changes.push({
        rangeId: range.rangeId,
        change: { kind: "add-voter", nodeId: spare },
        reason: `node ${input.target} is decommissioning; node ${spare} takes its replica`,
      });
      const grown: RangeView = { ...range, voters: [...range.voters, spare] };
      const refusal = quorumRefusal(grown, input.target, new Set([...live, spare]));
      if (refusal !== undefined) return { ok: false, reason: refusal };
    } else {
      const refusal = quorumRefusal(range, input.target, live);
      if (refusal !== undefined) return { ok: false, reason: refusal };
    }
    changes.push({
      rangeId: range.rangeId,
      change: { kind: "remove", nodeId: input.target },
      reason: `node ${input.target} is decommissioning`,
    });
  }
  return { ok: true, changes };
}

/** Why removing `target` from `range` would lose its quorum; undefined when it would not. */
export function quorumRefusal(
  range: RangeView,
  target: NodeId,
  live: ReadonlySet<NodeId>,
): string | undefined {
  const before = range.voters;
  const after = before.filter((id) => id !== target);
  if (before.includes(target) && after.length === 0) {
    return `range ${range.rangeId} has node ${target} as its only voter`;
  }
  for (const [config, which] of [
    [before, "current"],
    [after, "new"],
  ] as const) {
    const liveCount = config.filter((id) => live.has(id)).length;
    const quorum = Math.floor(config.length / 2) + 1;
    if (liveCount < quorum) {
      return `range ${range.rangeId} would have no quorum of live voters in its ${which} configuration (${liveCount} live of ${config.length} voters [${config.join(",")}], quorum ${quorum})`;
    }
  }
  return undefined;
}

function liveSet(nodes: readonly NodeView[]): Set<NodeId> {
  return new Set(nodes.filter((n) => n.liveness === "live").map((n) => n.record.id));
}

function holds(range: RangeView, id: NodeId): boolean {
  return range.voters.includes(id) || range.learners.includes(id);
}

function sorted(ranges: readonly RangeView[]): RangeView[] {
  return [...ranges].sort((a, b) => a.rangeId - b.rangeId);
}
