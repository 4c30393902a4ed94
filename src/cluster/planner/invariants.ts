/**
 * The safety rules of a cluster plan (plan.ts lists them as I1–I6), checked
 * on a finished plan against the snapshot it was made from. `planCluster`
 * asserts that the list is empty before it returns a plan, so a planner bug
 * stops the meta leader instead of moving replicas unsafely; the property
 * tests check the same rules over random clusters.
 */
import { compareBytes, equalBytes, META_RANGE_ID, type NodeId } from "../../lib/index.js";
import { familyOf, rangesOf } from "./actions.js";
import { type ClusterSnapshot, PlanContext, without } from "./plan-context.js";
import { actionsPerPlanMax, mergeKeysMax } from "./settings.js";
import type { PlannedAction, PlannedRange } from "./types.js";

/** Every rule `actions` breaks, in a sentence each; empty when the plan is safe. */
export function planViolations(
  input: ClusterSnapshot,
  actions: readonly PlannedAction[],
): string[] {
  const ctx = new PlanContext(input);
  const byId = new Map(ctx.ranges.map((r) => [r.rangeId, r] as const));
  const out: string[] = [];
  const seen = new Set<number>();
  const families = new Map<string, number>();
  const members = input.nodes.filter((n) => n.record.state !== "removed").length;
  const perPlan = actionsPerPlanMax(input.settings, members);
  let splits = 0;
  for (const a of actions) {
    for (const id of rangesOf(a)) {
      if (seen.has(id)) out.push(`range ${id} has more than one action`);
      seen.add(id);
      if (!byId.has(id)) out.push(`range ${id} is not in the snapshot`);
    }
    const family = familyOf(a);
    families.set(family, (families.get(family) ?? 0) + 1);
    if (a.kind === "merge") {
      const left = byId.get(a.leftRangeId);
      const right = byId.get(a.rightRangeId);
      if (left !== undefined && right !== undefined) out.push(...mergeViolations(ctx, left, right));
      continue;
    }
    const r = byId.get(a.rangeId);
    if (r === undefined) continue;
    if (a.kind === "add-voter") out.push(...addViolations(ctx, r, a.nodeId));
    if (a.kind === "remove") out.push(...removeViolations(ctx, r, a.nodeId));
    if (a.kind === "transfer-leader" && (!r.voters.includes(a.to) || !ctx.isHealthy(a.to))) {
      out.push(`range ${r.rangeId}: leadership goes to node ${a.to}, not a healthy voter`);
    }
    if (a.kind === "transfer-leader" && a.to === r.leaderId) {
      out.push(`range ${r.rangeId}: leadership goes to its leader`);
    }
    if (a.kind === "transfer-leader" && !ctx.keepsQuorum(r.voters, r.voters)) {
      out.push(`range ${r.rangeId}: leadership moved without a live quorum`);
    }
    if (a.kind === "split") {
      splits += 1;
      out.push(...splitViolations(ctx, r, a.splitKey));
    }
  }
  for (const [family, n] of families) {
    if (n > perPlan) out.push(`${n} ${family} actions, more than ${perPlan}`);
  }
  const rangesMax = input.settings.rangesMax;
  if (rangesMax !== undefined && splits > 0 && ctx.ranges.length + splits > rangesMax) {
    out.push(`splits take the range count to ${ctx.ranges.length + splits} > ${rangesMax}`);
  }
  return out;
}

function addViolations(ctx: PlanContext, r: PlannedRange, id: NodeId): string[] {
  const out: string[] = [];
  if (!ctx.isHealthy(id)) out.push(`range ${r.rangeId}: voter added on unhealthy node ${id}`);
  if (r.voters.includes(id)) out.push(`range ${r.rangeId}: node ${id} is already a voter`);
  if (!ctx.keepsQuorum(r.voters, [...r.voters, id])) {
    out.push(`range ${r.rangeId}: adding node ${id} needs a live quorum it lacks`);
  }
  return out;
}

/** I1 (quorum) and I2 (the replication-factor floor) for one removal. */
function removeViolations(ctx: PlanContext, r: PlannedRange, id: NodeId): string[] {
  if (r.learners.includes(id)) {
    return ctx.keepsQuorum(r.voters, r.voters)
      ? []
      : [`range ${r.rangeId}: removing learner ${id} needs a live quorum it lacks`];
  }
  if (!r.voters.includes(id)) return [`range ${r.rangeId}: node ${id} holds no replica`];
  const out: string[] = [];
  if (!ctx.keepsQuorum(r.voters, without(r.voters, id))) {
    out.push(`range ${r.rangeId}: removing node ${id} loses the live quorum`);
  }
  const rf = ctx.settings.replicationFactor;
  const role = ctx.role(id);
  const keepers = without(r.voters, id).filter((v) => ctx.isKeeper(v)).length;
  const healthy = without(r.voters, id).filter((v) => ctx.isHealthy(v)).length;
  if (role === "removed") return out;
  if (!ctx.isKeeper(id) && keepers < rf) {
    out.push(`range ${r.rangeId}: ${role} node ${id} removed before its replacement`);
  }
  if (ctx.isKeeper(id) && healthy < rf) {
    out.push(`range ${r.rangeId}: removing node ${id} leaves ${healthy} healthy voters < ${rf}`);
  }
  if (id === r.leaderId && ctx.isLive(id)) {
    out.push(`range ${r.rangeId}: node ${id} removed while it leads the range`);
  }
  return out;
}

function splitViolations(ctx: PlanContext, r: PlannedRange, key: Uint8Array): string[] {
  const s = ctx.settings;
  const load = r.load;
  const out: string[] = [];
  if (!r.splittable || r.rangeId === META_RANGE_ID) out.push(`range ${r.rangeId} is unsplittable`);
  const inside =
    compareBytes(r.start, key) < 0 && (r.end.length === 0 || compareBytes(key, r.end) < 0);
  if (!inside) out.push(`range ${r.rangeId}: split key outside its span`);
  const over =
    load !== undefined &&
    (load.bytes > s.splitBytesMax ||
      load.keys > s.splitKeysMax ||
      load.opsPerSec > s.splitOpsPerSecMax);
  if (!over) out.push(`range ${r.rangeId} split within its bounds`);
  if (!ctx.canLead(r)) out.push(`range ${r.rangeId} split without a live leader and quorum`);
  return out;
}

function mergeViolations(ctx: PlanContext, left: PlannedRange, right: PlannedRange): string[] {
  const s = ctx.settings;
  const out: string[] = [];
  const what = `merge of ${left.rangeId} and ${right.rangeId}`;
  if (left.rangeId === META_RANGE_ID || right.rangeId === META_RANGE_ID) {
    out.push(`${what} involves range 1`);
  }
  if (!equalBytes(left.end, right.start)) out.push(`${what}: not neighbours`);
  if (left.keyspace === undefined || left.keyspace !== right.keyspace) {
    out.push(`${what}: not in one keyspace`);
  }
  const same =
    left.voters.length === right.voters.length &&
    left.voters.every((id, i) => right.voters[i] === id);
  if (!same || left.learners.length > 0 || right.learners.length > 0) {
    out.push(`${what}: replica sets differ`);
  }
  const a = left.load;
  const b = right.load;
  const small =
    a !== undefined &&
    b !== undefined &&
    a.opsPerSec < s.mergeOpsPerSecMax &&
    b.opsPerSec < s.mergeOpsPerSecMax &&
    a.bytes + b.bytes < s.mergeBytesMax &&
    a.keys + b.keys < mergeKeysMax(s);
  if (!small) out.push(`${what}: not small and cold`);
  if (!ctx.canLead(left) || !ctx.canLead(right)) out.push(`${what}: no live leader and quorum`);
  return out;
}
