/**
 * Up-replication: which ranges lack replicas and which node should get one.
 * A range with fewer replicas (voters and learners) than the replication
 * factor gets one more, on an active, live node that holds no replica of it;
 * among those, nodes in a locality no replica of the range has yet come
 * first, then the nodes holding the fewest replicas, then the lowest id (so
 * the plan is deterministic). Replicas on removed nodes are planned away
 * first. At most one change per range per plan: the driver applies it and
 * plans again.
 *
 * A node that joins a cluster whose ranges are full stays a spare; moving
 * replicas onto it is rebalancing, a later planner's job. So is replacing
 * the replicas of a dead node: the liveness judgement is already in the
 * input (`NodeView.liveness`), a replacement planner only has to use it.
 */
import type { NodeId } from "../../lib/index.js";
import { formatLocality } from "../node-record.js";
import type { NodeView, RangeChange, RangeView } from "./types.js";

export interface ReplicationInput {
  readonly nodes: readonly NodeView[];
  readonly ranges: readonly RangeView[];
  readonly replicationFactor: number;
}

export function planReplication(input: ReplicationInput): RangeChange[] {
  const byId = new Map(input.nodes.map((n) => [n.record.id, n] as const));
  const load = replicaCounts(input.ranges);
  const out: RangeChange[] = [];
  for (const range of [...input.ranges].sort((a, b) => a.rangeId - b.rangeId)) {
    const members = [...range.voters, ...range.learners];
    const gone = members.find((id) => byId.get(id)?.record.state === "removed");
    if (gone !== undefined && range.voters.length > 1) {
      out.push({
        rangeId: range.rangeId,
        change: { kind: "remove", nodeId: gone },
        reason: `node ${gone} was removed but still holds a replica`,
      });
      continue;
    }
    if (members.length >= input.replicationFactor) continue;
    const target = pickTarget(input.nodes, members, byId, load);
    if (target === undefined) continue;
    load.set(target, (load.get(target) ?? 0) + 1);
    out.push({
      rangeId: range.rangeId,
      change: { kind: "add-voter", nodeId: target },
      reason: `range has ${members.length} of ${input.replicationFactor} replicas`,
    });
  }
  return out;
}

/** Replicas held per node over all ranges. */
export function replicaCounts(ranges: readonly RangeView[]): Map<NodeId, number> {
  const load = new Map<NodeId, number>();
  for (const r of ranges) {
    for (const id of [...r.voters, ...r.learners]) load.set(id, (load.get(id) ?? 0) + 1);
  }
  return load;
}

/** The best node to hold a new replica of a range whose replicas are on `members`. */
export function pickTarget(
  nodes: readonly NodeView[],
  members: readonly NodeId[],
  byId: ReadonlyMap<NodeId, NodeView>,
  load: ReadonlyMap<NodeId, number>,
): NodeId | undefined {
  const localities = new Set(
    members
      .map((id) => byId.get(id))
      .flatMap((n) => (n ? [formatLocality(n.record.locality)] : [])),
  );
  const candidates = nodes.filter(
    (n) => n.record.state === "active" && n.liveness === "live" && !members.includes(n.record.id),
  );
  const score = (n: NodeView): [number, number, number] => [
    localities.has(formatLocality(n.record.locality)) && localities.size > 0 ? 1 : 0,
    load.get(n.record.id) ?? 0,
    n.record.id,
  ];
  candidates.sort((a, b) => {
    const sa = score(a);
    const sb = score(b);
    for (let i = 0; i < sa.length; i++) if (sa[i] !== sb[i]) return sa[i]! - sb[i]!;
    return 0;
  });
  return candidates[0]?.record.id;
}
