/**
 * The optional membership phases, tried only on settled ranges (no
 * learners, every voter healthy, as many voters as wanted) that are not
 * being lined up for a merge. Each plans the first half of a move, an add;
 * the range is then over-replicated and the next plan's `trim` (repair.ts)
 * removes the replica whose loss keeps the most diversity, then the one on
 * the most loaded node.
 *
 * - `improveDiversity`: add the node that lets some swap raise the range's
 *   diversity score (diversity.ts) the most, least loaded first. The trim
 *   that follows can only end at that score or higher, so every diversity
 *   move strictly raises the score: they are finitely many.
 * - `rebalanceReplicas`: add on the least loaded node T for a member S when
 *   their replica counts differ by more than `replicaGapMax`
 *   (`rebalanceThreshold` of the mean plus one, so at least two) and the
 *   swap S→T does not lower the diversity score. The trim then removes S or
 *   a member at least as loaded or one whose removal raises diversity: the
 *   sum of squared counts falls or diversity rises, so the moves end.
 *   With no locality constraint standing in the way, they end only when
 *   every two healthy nodes' counts differ by at most `replicaGapMax`.
 */
import type { NodeId } from "../../lib/index.js";
import { addVoter } from "./actions.js";
import { compareDiversity, type DiversityScore } from "./diversity.js";
import { type PlanContext, without } from "./plan-context.js";
import type { PlannedRange } from "./types.js";

export function improveDiversity(ctx: PlanContext, r: PlannedRange): void {
  if (!ctx.isSettled(r) || ctx.isPaired(r)) return;
  const now = ctx.diversity(r.voters);
  let best: { t: NodeId; score: DiversityScore; count: number } | undefined;
  for (const t of ctx.healthy) {
    if (r.voters.includes(t)) continue;
    let score: DiversityScore | undefined;
    for (const x of r.voters) {
      const s = ctx.diversity([...without(r.voters, x), t]);
      if (score === undefined || compareDiversity(s, score) > 0) score = s;
    }
    if (score === undefined || compareDiversity(score, now) <= 0) continue;
    const count = ctx.replicaCount(t);
    const d = best === undefined ? 1 : compareDiversity(score, best.score);
    if (best === undefined || d > 0 || (d === 0 && count < best.count)) best = { t, score, count };
  }
  if (best === undefined || !ctx.keepsQuorum(r.voters, [...r.voters, best.t])) return;
  ctx.offer(
    addVoter(
      r,
      best.t,
      `node ${best.t} spreads the range over more localities (diversity [${now.join(",")}] → [${best.score.join(",")}])`,
    ),
  );
}

export function rebalanceReplicas(ctx: PlanContext, r: PlannedRange): void {
  if (!ctx.isSettled(r) || ctx.isPaired(r)) return;
  const now = ctx.diversity(r.voters);
  let best: { s: NodeId; t: NodeId; gap: number } | undefined;
  for (const t of ctx.healthy) {
    if (r.voters.includes(t)) continue;
    for (const s of r.voters) {
      const gap = ctx.replicaCount(s) - ctx.replicaCount(t);
      if (gap <= ctx.replicaGapMax) continue;
      if (compareDiversity(ctx.diversity([...without(r.voters, s), t]), now) < 0) continue;
      // Widest gap first; ties to the lower target id (iteration order), then the lower source id.
      if (best === undefined || gap > best.gap) best = { s, t, gap };
    }
  }
  if (best === undefined || !ctx.keepsQuorum(r.voters, [...r.voters, best.t])) return;
  ctx.offer(
    addVoter(
      r,
      best.t,
      `rebalances replicas: node ${best.s} holds ${ctx.replicaCount(best.s)}, node ${best.t} ${ctx.replicaCount(best.t)}`,
    ),
    best.s,
  );
}
