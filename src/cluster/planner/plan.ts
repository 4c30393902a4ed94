/**
 * `planCluster`: the whole-cluster planner the meta leader runs every pass
 * (DESIGN.md §6). It takes a snapshot (nodes with their liveness, ranges
 * with their replicas, leader, span and load) and returns the next actions:
 * replica adds and removals, leader transfers, splits and merges. The driver
 * carries them out and plans again, so a plan is one step toward the goal,
 * never a schedule; a change that is still being carried out shows up in
 * the next snapshot (a learner, an over-replicated range) and is finished.
 *
 * Phases, most urgent first; each runs over the ranges in id order and
 * decides at most one action per range (repair.ts, rebalance.ts,
 * leaders.ts, split-merge.ts say what each does):
 *   membership  dropGone, settleLearner, replaceDead, upReplicate, drain,
 *               trim, alignForMerge, improveDiversity, rebalanceReplicas
 *   leadership  leaveDraining, honourPreference, balanceLeaders
 *   split/merge planSplits, planMerges
 * Moves are two-step: an add (learner → voter) makes the range
 * over-replicated, a later plan's `trim` removes the replica that should go.
 *
 * Invariants (invariants.ts checks every plan; `planCluster` asserts them):
 * - I1 Quorum. Every add and remove keeps a live quorum both in the current
 *   voter set and in the new one (joint consensus needs both). A leader is
 *   transferred only to a healthy voter of a range with a live quorum.
 *   Splits and merges only involve ranges whose leader is a live voter with
 *   a live quorum. A range without a live quorum gets no action at all.
 * - I2 Replication floor. A replica is removed only when it is a learner, or
 *   its node is removed, or its node is dead, unknown or decommissioning and
 *   the other keepers (voters on healthy or suspect nodes) number at least
 *   the replication factor, or its node is a keeper and the other healthy
 *   voters number at least the replication factor. So no removal takes a
 *   range's healthy replicas below the replication factor, and a failed or
 *   leaving replica goes only after its replacement is in. A live leader is
 *   never removed: it transfers its leadership first, and only for a
 *   removal that keeps a live quorum (so the next plan makes it).
 * - I3 Targets. Voters are only added on healthy nodes (active and live).
 * - I4 Bounds. At most one action per range (a merge counts for both of its
 *   ranges, so a range is never split and merged in one plan); at most
 *   `actionsPerPlanMax` (default max(1, nodes/2)) actions of each family;
 *   splits never take the range count above `rangesMax`.
 * - I5 Determinism. The plan depends only on the snapshot's content, not on
 *   the order of its nodes, ranges, voters or learners: everything is sorted
 *   by id (ranges by start key for merging) and every choice has a final tie
 *   break on ids.
 * - I6 Progress. Diversity moves strictly raise a range's diversity score;
 *   rebalancing moves never lower it and narrow a replica-count gap of more
 *   than `rebalanceThreshold` of the mean plus one; merge bounds are at most
 *   half the split bounds (settings.ts); a leader transfer made before a
 *   removal is followed by that removal, never undone (leaders.ts). So
 *   repeated planning on a stable cluster reaches a plan with no actions.
 */
import { assert } from "../../lib/index.js";
import { planViolations } from "./invariants.js";
import { balanceLeaders, honourPreference, leaveDraining } from "./leaders.js";
import { type ClusterSnapshot, PlanContext } from "./plan-context.js";
import { improveDiversity, rebalanceReplicas } from "./rebalance.js";
import { drain, dropGone, replaceDead, settleLearner, trim, upReplicate } from "./repair.js";
import { checkPlannerSettings } from "./settings.js";
import { alignForMerge, findMergePairs, planMerges, planSplits } from "./split-merge.js";
import type { PlannedAction, PlannedRange } from "./types.js";

export type ClusterPlanInput = ClusterSnapshot;

type Phase = (ctx: PlanContext, r: PlannedRange) => void;

const RANGE_PHASES: readonly Phase[] = [
  dropGone,
  settleLearner,
  replaceDead,
  upReplicate,
  drain,
  trim,
  alignForMerge,
  improveDiversity,
  rebalanceReplicas,
  leaveDraining,
  honourPreference,
  balanceLeaders,
];

/** The next actions toward a healthy, balanced cluster; [] when there is nothing to do. */
export function planCluster(input: ClusterPlanInput): PlannedAction[] {
  checkPlannerSettings(input.settings);
  const ctx = new PlanContext(input);
  ctx.setMergePairs(findMergePairs(ctx));
  for (const phase of RANGE_PHASES) {
    for (const r of ctx.ranges) if (!ctx.isClaimed(r.rangeId)) phase(ctx, r);
  }
  planSplits(ctx);
  planMerges(ctx);
  const violations = planViolations(input, ctx.actions);
  assert(violations.length === 0, `unsafe cluster plan: ${violations.join("; ")}`);
  return ctx.actions;
}
