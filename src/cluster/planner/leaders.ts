/**
 * The leadership phases, after the membership ones, on ranges with a live
 * leader that got no action yet. A transfer only ever goes to a healthy
 * voter other than the current leader.
 *
 * 1. `leaveDraining`: a leader on a decommissioning node moves off it (the
 *    drain phase does this first too; this catches ranges it did not reach).
 * 2. `honourPreference`: with `leaderPreference` set, a leader outside the
 *    preferred locality moves to a voter inside it, when the range has one.
 * 3. `balanceLeaders`: a leader moves to the voter with the fewest leaders
 *    when their leader counts differ by two or more and either the leader's
 *    node is overfull (more than the mean by over `rebalanceThreshold` of
 *    it) or the voter's is underfull (less by as much); never out of the
 *    preferred locality. Judging against the mean, not only the pair, lets
 *    leadership flow along chains of ranges: a range can only hand its
 *    leadership to its own voters, so the most and least loaded nodes often
 *    share no range.
 *
 * Termination: preference transfers lower the number of leaders outside the
 * preferred locality; balance transfers keep it and, moving one leader
 * across a gap of two or more, lower the sum of squared leader counts.
 * Neither undoes the other. The membership phases move leaders too (off a
 * decommissioning node, off a voter `trim` removes), but `trim` does so only
 * for a removal that keeps a live quorum (repair.ts): `trim` decides the
 * range again in the next plan (the removal, unless other moves changed the
 * replica counts it ranks by), so leader balancing never takes it back.
 */
import { transferLeader } from "./actions.js";
import type { PlanContext } from "./plan-context.js";
import type { PlannedRange } from "./types.js";

export function leaveDraining(ctx: PlanContext, r: PlannedRange): void {
  const from = r.leaderId;
  if (from === 0 || !ctx.isLive(from) || ctx.role(from) !== "draining") return;
  const to = ctx.pickLeaderTarget(r, from);
  if (to !== undefined) ctx.offer(transferLeader(r, to, `node ${from} is decommissioning`));
}

export function honourPreference(ctx: PlanContext, r: PlannedRange): void {
  const from = r.leaderId;
  if (ctx.settings.leaderPreference === undefined) return;
  if (from === 0 || !ctx.isLive(from) || ctx.prefersAsLeader(from)) return;
  const to = ctx.pickLeaderTarget(r, from);
  if (to === undefined || !ctx.prefersAsLeader(to)) return;
  ctx.offer(transferLeader(r, to, `leaders are preferred on node ${to}'s locality`));
}

export function balanceLeaders(ctx: PlanContext, r: PlannedRange): void {
  const from = r.leaderId;
  if (from === 0 || !ctx.isLive(from)) return;
  const to = ctx.pickLeaderTarget(r, from);
  if (to === undefined) return;
  if (ctx.prefersAsLeader(from) && !ctx.prefersAsLeader(to)) return;
  const gap = ctx.leaderCount(from) - ctx.leaderCount(to);
  const band = ctx.settings.rebalanceThreshold * ctx.leaderMean;
  const overfull = ctx.leaderCount(from) > ctx.leaderMean + band;
  const underfull = ctx.leaderCount(to) < ctx.leaderMean - band;
  if (gap < 2 || !(overfull || underfull)) return;
  ctx.offer(
    transferLeader(
      r,
      to,
      `balances leaders: node ${from} leads ${ctx.leaderCount(from)}, node ${to} ${ctx.leaderCount(to)}`,
    ),
  );
}
