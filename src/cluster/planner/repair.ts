/**
 * The membership phases that restore a range's health, most urgent first
 * (each is tried on every range not yet decided before the next runs):
 *
 * 1. `dropGone`: a replica on a removed node goes; so does a learner on a
 *    node that cannot hold one (dead, draining, removed, unknown).
 * 2. `settleLearner`: a learner on a healthy node, left by an interrupted
 *    add, is promoted when the range lacks keepers, else removed as surplus.
 * 3. `replaceDead`: a voter on a dead (or unknown) node is replaced: first a
 *    new voter elsewhere, then, once the other keepers number the
 *    replication factor, the dead voter is removed.
 * 4. `upReplicate`: a range with fewer keepers than the replication factor
 *    gets a voter on the best healthy node (diversity, then fewest replicas).
 * 5. `drain`: a range with a voter on a decommissioning node moves its
 *    leader off that node, then adds a voter elsewhere, then removes it
 *    (a draining node that is no longer live first).
 * 6. `trim`: a range with more keepers than the replication factor loses
 *    one, chosen among the removals that keep a live quorum: the removal
 *    that keeps the most diversity, then a suspect replica, then the most
 *    loaded node, a non-leader, the highest id. (A leader about to be
 *    removed hands its leadership over first.)
 *
 * A leader is moved off a voter "before removal" only when that removal
 * keeps a live quorum, so the next plan carries it out. A transfer for a
 * removal the quorum forbids (e.g. of a live voter next to a suspect one)
 * would be followed by nothing; leader balancing would move the leadership
 * back, and two such ranges would hand it to and fro forever.
 *
 * Invariants (checked again in invariants.ts): every add and remove keeps a
 * live quorum in the old and the new voter set; a keeper (healthy or
 * suspect voter) is only removed while the range keeps at least the
 * replication factor of healthy voters besides it; a dead or draining
 * voter only once the other keepers number the replication factor.
 */
import type { NodeId } from "../../lib/index.js";
import { addVoter, removeReplica, transferLeader } from "./actions.js";
import { compareDiversity } from "./diversity.js";
import { type PlanContext, without } from "./plan-context.js";
import type { PlannedRange } from "./types.js";

export function dropGone(ctx: PlanContext, r: PlannedRange): void {
  const gone = r.voters.find((id) => ctx.role(id) === "removed");
  if (gone !== undefined) {
    if (ctx.keepsQuorum(r.voters, without(r.voters, gone))) {
      ctx.offer(removeReplica(r, gone, `node ${gone} was removed but still holds a voter`));
    }
    return;
  }
  const stray = r.learners.find((id) => !ctx.isKeeper(id));
  if (stray !== undefined && ctx.keepsQuorum(r.voters, r.voters)) {
    ctx.offer(removeReplica(r, stray, `learner on ${ctx.role(stray)} node ${stray}`));
  }
}

export function settleLearner(ctx: PlanContext, r: PlannedRange): void {
  const learner = r.learners.find((id) => ctx.isHealthy(id));
  if (learner === undefined) return;
  const keepers = r.voters.filter((id) => ctx.isKeeper(id));
  if (keepers.length < ctx.settings.replicationFactor) {
    if (ctx.keepsQuorum(r.voters, [...r.voters, learner])) {
      ctx.offer(addVoter(r, learner, `promotes learner ${learner} left by an interrupted add`));
    }
  } else if (ctx.keepsQuorum(r.voters, r.voters)) {
    ctx.offer(removeReplica(r, learner, `learner ${learner} is surplus: the range has its voters`));
  }
}

export function replaceDead(ctx: PlanContext, r: PlannedRange): void {
  const dead = r.voters.find((id) => ctx.role(id) === "dead" || ctx.role(id) === "unknown");
  if (dead !== undefined) replaceVoter(ctx, r, dead, `node ${dead} is ${ctx.role(dead)}`);
}

export function upReplicate(ctx: PlanContext, r: PlannedRange): void {
  if (r.learners.length > 0 || !r.voters.every((id) => ctx.isKeeper(id))) return;
  const rf = ctx.settings.replicationFactor;
  if (r.voters.length >= rf) return;
  const target = ctx.pickAddTarget(r, r.voters);
  if (target === undefined || !ctx.keepsQuorum(r.voters, [...r.voters, target])) return;
  ctx.offer(addVoter(r, target, `range has ${r.voters.length} of ${rf} replicas`));
}

export function drain(ctx: PlanContext, r: PlannedRange): void {
  // A silent draining voter goes first: removing it never narrows the live quorum's margin.
  const draining = r.voters.filter((id) => ctx.role(id) === "draining");
  const leaving = draining.find((id) => !ctx.isLive(id)) ?? draining[0];
  if (leaving === undefined) return;
  const why = `node ${leaving} is decommissioning`;
  if (r.leaderId !== 0 && ctx.role(r.leaderId) === "draining" && ctx.isLive(r.leaderId)) {
    const to = ctx.pickLeaderTarget(r, r.leaderId);
    if (to !== undefined) {
      ctx.offer(transferLeader(r, to, `node ${r.leaderId} is decommissioning; leader moves first`));
      return;
    }
  }
  replaceVoter(ctx, r, leaving, why);
}

/**
 * Replaces the voter on `x` (dead, unknown or draining): while the other
 * keepers are fewer than the replication factor, add one elsewhere; once
 * they are enough (the range is otherwise over-replicated), remove `x`.
 */
function replaceVoter(ctx: PlanContext, r: PlannedRange, x: NodeId, why: string): void {
  const keepers = r.voters.filter((id) => ctx.isKeeper(id));
  if (keepers.length >= ctx.settings.replicationFactor) {
    removeVoter(ctx, r, x, `${why}; the range has its replicas elsewhere`);
    return;
  }
  const target = ctx.pickAddTarget(r, keepers);
  if (target === undefined || !ctx.keepsQuorum(r.voters, [...r.voters, target])) return;
  ctx.offer(addVoter(r, target, `${why}; node ${target} takes its replica`));
}

export function trim(ctx: PlanContext, r: PlannedRange): void {
  if (r.learners.length > 0) return;
  const rf = ctx.settings.replicationFactor;
  const keepers = r.voters.filter((id) => ctx.isKeeper(id));
  if (keepers.length <= rf) return;
  const healthy = r.voters.filter((id) => ctx.isHealthy(id));
  const removable = keepers.filter(
    (x) => without(healthy, x).length >= rf && ctx.keepsQuorum(r.voters, without(r.voters, x)),
  );
  const keep = ctx.mergeLeftOf(r)?.voters ?? [];
  const rank = (x: NodeId) => ({
    x,
    stays: keep.includes(x) ? 1 : 0,
    score: ctx.diversity(without(keepers, x)),
    suspect: ctx.role(x) === "suspect" ? 0 : 1,
    count: ctx.replicaCount(x),
    leads: x === r.leaderId ? 1 : 0,
  });
  const ranked = removable
    .map(rank)
    .sort(
      (a, b) =>
        a.stays - b.stays ||
        compareDiversity(b.score, a.score) ||
        a.suspect - b.suspect ||
        b.count - a.count ||
        a.leads - b.leads ||
        b.x - a.x,
    );
  const x = ranked[0]?.x;
  if (x === undefined) return;
  const why =
    keep.length > 0 && !keep.includes(x)
      ? `node ${x} holds no replica of the left neighbour it is to merge with`
      : `range has ${keepers.length} replicas, ${rf} wanted`;
  removeVoter(ctx, r, x, why);
}

/**
 * Removes voter `x`, handing the leadership over first when `x` leads the
 * range; nothing at all when the removal would lose the live quorum (a
 * transfer would then prepare a removal that never comes).
 */
function removeVoter(ctx: PlanContext, r: PlannedRange, x: NodeId, why: string): void {
  if (!ctx.keepsQuorum(r.voters, without(r.voters, x))) return;
  if (x === r.leaderId && ctx.isLive(x)) {
    const to = ctx.pickLeaderTarget(r, x);
    if (to !== undefined) ctx.offer(transferLeader(r, to, `${why}; leader moves before removal`));
    return;
  }
  ctx.offer(removeReplica(r, x, why));
}
