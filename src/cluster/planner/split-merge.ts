/**
 * Splits and merges (DESIGN.md §6: split by size and by load, merge small
 * neighbours).
 *
 * A range splits at its leader's suggested key when it holds more bytes or
 * keys, or serves more operations per second, than the split bounds; the
 * most overloaded first; never past `rangesMax` ranges; only when it is
 * `splittable` (not range 1, not a single slot), the key lies strictly
 * inside its span, and its leader is a live voter with a live quorum.
 *
 * Two neighbours (left.end equals right.start) merge when they lie in the
 * same keyspace, neither is range 1, their loads are known, each serves
 * fewer operations per second than `mergeOpsPerSecMax`, and together they
 * hold fewer bytes and keys than the merge bounds. Neighbours are paired
 * left to right in key order, each range in at most one pair. A pair merges
 * only once both have the same voters and no learners; until then
 * `alignForMerge` (a membership phase) adds the left's voters to the right
 * one by one, and `trim` removes the right's others first. Paired ranges
 * are left out of diversity and count rebalancing, which would undo this.
 *
 * Thrash: settings.ts requires the merge bounds to be at most half the split
 * bounds (a quarter for load), so a merged range is far from splitting and
 * the halves of a split are too big or too hot to merge back.
 */
import { compareBytes, equalBytes, META_RANGE_ID } from "../../lib/index.js";
import { addVoter } from "./actions.js";
import type { MergePair, PlanContext } from "./plan-context.js";
import { mergeKeysMax } from "./settings.js";
import type { PlannedRange } from "./types.js";

/** Pairs of neighbours to merge, left to right in key order. */
export function findMergePairs(ctx: PlanContext): MergePair[] {
  const byStart = [...ctx.ranges].sort(
    (a, b) => compareBytes(a.start, b.start) || a.rangeId - b.rangeId,
  );
  const pairs: MergePair[] = [];
  for (let i = 0; i + 1 < byStart.length; i++) {
    const left = byStart[i] as PlannedRange;
    const right = byStart[i + 1] as PlannedRange;
    if (!mayMerge(ctx, left, right)) continue;
    pairs.push({ left, right });
    i++;
  }
  return pairs;
}

function mayMerge(ctx: PlanContext, left: PlannedRange, right: PlannedRange): boolean {
  const s = ctx.settings;
  const a = left.load;
  const b = right.load;
  return (
    left.rangeId !== META_RANGE_ID &&
    right.rangeId !== META_RANGE_ID &&
    right.mergeableWithLeft !== false &&
    equalBytes(left.end, right.start) &&
    left.keyspace !== undefined &&
    left.keyspace === right.keyspace &&
    a !== undefined &&
    b !== undefined &&
    a.opsPerSec < s.mergeOpsPerSecMax &&
    b.opsPerSec < s.mergeOpsPerSecMax &&
    a.bytes + b.bytes < s.mergeBytesMax &&
    a.keys + b.keys < mergeKeysMax(s) &&
    ctx.isSettled(left) &&
    right.voters.length > 0 &&
    right.voters.every((id) => ctx.isHealthy(id))
  );
}

/** Adds one of the left neighbour's voters to the right range of a merge pair. */
export function alignForMerge(ctx: PlanContext, r: PlannedRange): void {
  const left = ctx.mergeLeftOf(r);
  if (left === undefined || r.learners.length > 0) return;
  if (r.voters.length > left.voters.length) return; // trim removes the others first
  const missing = left.voters
    .filter((id) => !r.voters.includes(id) && ctx.isHealthy(id))
    .sort((a, b) => ctx.replicaCount(a) - ctx.replicaCount(b) || a - b);
  const target = missing[0];
  if (target === undefined || !ctx.keepsQuorum(r.voters, [...r.voters, target])) return;
  ctx.offer(
    addVoter(
      r,
      target,
      `lines range ${r.rangeId} up with range ${left.rangeId} for a merge: node ${target} holds the left`,
    ),
  );
}

export function planSplits(ctx: PlanContext): void {
  const wanted = ctx.ranges
    .filter((r) => !ctx.isClaimed(r.rangeId))
    .flatMap((r) => {
      const over = overload(ctx, r);
      return over === undefined ? [] : [{ r, ...over }];
    })
    .sort((a, b) => b.severity - a.severity || a.r.rangeId - b.r.rangeId);
  const rangesMax = ctx.settings.rangesMax ?? Number.POSITIVE_INFINITY;
  let ranges = ctx.ranges.length;
  for (const { r, why } of wanted) {
    if (ranges + 1 > rangesMax || !ctx.hasBudget("split-merge")) return;
    const splitKey = r.splitKey as Uint8Array;
    if (ctx.offer({ kind: "split", rangeId: r.rangeId, splitKey, reason: why })) ranges += 1;
  }
}

export function planMerges(ctx: PlanContext): void {
  for (const { left, right } of ctx.mergePairs) {
    if (ctx.isClaimed(left.rangeId) || ctx.isClaimed(right.rangeId)) continue;
    if (!ctx.hasBudget("split-merge")) return;
    const same =
      left.voters.length === right.voters.length &&
      left.voters.every((id, i) => right.voters[i] === id) &&
      left.learners.length === 0 &&
      right.learners.length === 0;
    if (!same || !ctx.canLead(left) || !ctx.canLead(right)) continue;
    ctx.offer({
      kind: "merge",
      leftRangeId: left.rangeId,
      rightRangeId: right.rangeId,
      reason: `ranges ${left.rangeId} and ${right.rangeId} are small and cold neighbours`,
    });
  }
}

/** How far over its split bounds `r` is (the largest ratio), when it should split. */
function overload(
  ctx: PlanContext,
  r: PlannedRange,
): { severity: number; why: string } | undefined {
  const s = ctx.settings;
  const load = r.load;
  const key = r.splitKey;
  if (!r.splittable || r.rangeId === META_RANGE_ID || load === undefined || key === undefined) {
    return undefined;
  }
  if (!insideSpan(key, r.start, r.end) || !ctx.canLead(r)) return undefined;
  // Every range is looked at on every pass: the reason is worded only for one that splits.
  const bytes = load.bytes / s.splitBytesMax;
  const keys = load.keys / s.splitKeysMax;
  const ops = load.opsPerSec / s.splitOpsPerSecMax;
  const severity = Math.max(bytes, keys, ops);
  if (!(severity > 1)) return undefined;
  const what =
    severity === bytes
      ? `${load.bytes} bytes > ${s.splitBytesMax}`
      : severity === keys
        ? `${load.keys} keys > ${s.splitKeysMax}`
        : `${load.opsPerSec} ops/s > ${s.splitOpsPerSecMax}`;
  return { severity, why: `range ${r.rangeId} holds or serves too much: ${what}` };
}

/** start < key < end; an empty `end` stands for the end of the key space. */
function insideSpan(key: Uint8Array, start: Uint8Array, end: Uint8Array): boolean {
  return compareBytes(start, key) < 0 && (end.length === 0 || compareBytes(key, end) < 0);
}
