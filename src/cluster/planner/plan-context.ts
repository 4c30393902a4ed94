/**
 * The working state of one `planCluster` call: the input normalised and
 * indexed, each node's role, the replica and leader counts per node as they
 * will be once the actions planned so far are carried out (projected), the
 * budgets, and the ranges already decided on.
 *
 * Node roles (from the node table and the liveness judgement):
 * - healthy: active and live. The only nodes that receive replicas or leaders.
 * - suspect: active, silent for a while. Its replicas are kept (they count
 *   toward the replication factor) but not relied on for quorum.
 * - dead: active, silent past `deadAfterMs`. Its replicas are replaced.
 * - draining: decommissioning (any liveness). Its replicas are replaced and
 *   its leaders moved off; it votes while it is live.
 * - removed: a tombstone. Its replicas are planned away at once.
 * - unknown: missing from the table. Treated as dead (replace, then remove),
 *   the cautious reading of an inconsistent snapshot.
 * A *keeper* is a voter on a healthy or suspect node. A node is *live* for
 * quorum when its liveness is live and it is not removed.
 *
 * Invariants: at most one action per range (`offer` asserts it), never more
 * actions of one family than its budget; the projection moves one count per
 * planned replica, so later decisions in the same plan see earlier ones.
 */
import { assert, type NodeId, type RangeId } from "../../lib/index.js";
import { type ActionFamily, familyOf, rangesOf } from "./actions.js";
import { compareDiversity, type DiversityScore, LocalityTiers } from "./diversity.js";
import { keepsLiveQuorum } from "./quorum.js";
import { actionsPerPlanMax, countGapMax } from "./settings.js";
import type { NodeView, PlannedAction, PlannedRange, PlannerSettings } from "./types.js";

export type NodeRole = "healthy" | "suspect" | "dead" | "draining" | "removed" | "unknown";

export interface ClusterSnapshot {
  readonly nodes: readonly NodeView[];
  readonly ranges: readonly PlannedRange[];
  readonly settings: PlannerSettings;
}

/** Two neighbours chosen to merge: `right`'s replicas are moved to match `left`'s first. */
export interface MergePair {
  readonly left: PlannedRange;
  readonly right: PlannedRange;
}

export class PlanContext {
  readonly settings: PlannerSettings;
  /** Normalised (voters and learners unique and sorted), in range id order. */
  readonly ranges: readonly PlannedRange[];
  /** Healthy node ids, ascending. */
  readonly healthy: readonly NodeId[];
  readonly localities: LocalityTiers;
  /** The replicas a settled range has: the replication factor, or every healthy node if fewer. */
  readonly replicasWanted: number;
  /** Replica counts of two nodes may differ by this much before a rebalancing move. */
  readonly replicaGapMax: number;
  /** Ranges with a live leader per node that should lead (the preferred healthy nodes, or all). */
  readonly leaderMean: number;
  readonly actions: PlannedAction[] = [];

  private readonly nodes = new Map<NodeId, NodeView>();
  private readonly replicas = new Map<NodeId, number>();
  private readonly leaders = new Map<NodeId, number>();
  private readonly claimed = new Set<RangeId>();
  private readonly budget: Record<ActionFamily, number>;
  private readonly byId = new Map<RangeId, PlannedRange>();
  private pairs: readonly MergePair[] = [];
  private readonly leftOf = new Map<RangeId, PlannedRange>();

  constructor(input: ClusterSnapshot) {
    this.settings = input.settings;
    for (const n of input.nodes) {
      assert(!this.nodes.has(n.record.id), `node ${n.record.id} appears twice in the plan input`);
      this.nodes.set(n.record.id, n);
    }
    this.ranges = input.ranges.map(normalise).sort((a, b) => a.rangeId - b.rangeId);
    for (const r of this.ranges) {
      assert(!this.byId.has(r.rangeId), `range ${r.rangeId} appears twice in the plan input`);
      this.byId.set(r.rangeId, r);
      for (const id of [...r.voters, ...r.learners]) this.bump(this.replicas, id, 1);
      if (r.leaderId !== 0) this.bump(this.leaders, r.leaderId, 1);
    }
    this.healthy = [...this.nodes.keys()]
      .filter((id) => this.role(id) === "healthy")
      .sort((a, b) => a - b);
    this.localities = new LocalityTiers(input.nodes);
    this.replicasWanted = Math.min(this.settings.replicationFactor, this.healthy.length);
    const members = input.nodes.filter((n) => n.record.state !== "removed").length;
    const perPlan = actionsPerPlanMax(this.settings, members);
    this.budget = { membership: perPlan, leadership: perPlan, "split-merge": perPlan };
    this.replicaGapMax = countGapMax(this.settings, this.mean(this.healthy, this.replicas));
    const leading = this.ranges.filter((r) => r.leaderId !== 0 && this.isLive(r.leaderId));
    const leaderNodes = this.leaderCandidates();
    this.leaderMean = leaderNodes.length === 0 ? 0 : leading.length / leaderNodes.length;
  }

  // --- Nodes -------------------------------------------------------------

  role(id: NodeId): NodeRole {
    const n = this.nodes.get(id);
    if (n === undefined) return "unknown";
    if (n.record.state === "removed") return "removed";
    if (n.record.state === "decommissioning") return "draining";
    return n.liveness === "live" ? "healthy" : n.liveness;
  }

  /** Live for quorum: pinging in time and not removed. */
  isLive(id: NodeId): boolean {
    const n = this.nodes.get(id);
    return n !== undefined && n.liveness === "live" && n.record.state !== "removed";
  }

  isHealthy(id: NodeId): boolean {
    return this.role(id) === "healthy";
  }

  /** A voter here counts toward the replication factor. */
  isKeeper(id: NodeId): boolean {
    const role = this.role(id);
    return role === "healthy" || role === "suspect";
  }

  replicaCount(id: NodeId): number {
    return this.replicas.get(id) ?? 0;
  }

  leaderCount(id: NodeId): number {
    return this.leaders.get(id) ?? 0;
  }

  /** Whether leaders should be on this node: it has the preferred labels (or none are set). */
  prefersAsLeader(id: NodeId): boolean {
    const wanted = this.settings.leaderPreference;
    if (wanted === undefined) return true;
    const locality = this.nodes.get(id)?.record.locality;
    if (locality === undefined) return false;
    return Object.entries(wanted).every(([k, v]) => locality[k] === v);
  }

  // --- Ranges ------------------------------------------------------------

  keepsQuorum(before: readonly NodeId[], after: readonly NodeId[]): boolean {
    return keepsLiveQuorum(before, after, (id) => this.isLive(id));
  }

  /** No learners, every voter healthy, as many voters as wanted: ready for optional moves. */
  isSettled(r: PlannedRange): boolean {
    return (
      r.learners.length === 0 &&
      r.voters.length === this.replicasWanted &&
      r.voters.every((id) => this.isHealthy(id))
    );
  }

  /** Its leader is a live voter and its voters have a live quorum: it can split or merge. */
  canLead(r: PlannedRange): boolean {
    return r.leaderId !== 0 && this.isLive(r.leaderId) && this.keepsQuorum(r.voters, r.voters);
  }

  diversity(members: readonly NodeId[]): DiversityScore {
    return this.localities.score(members);
  }

  setMergePairs(pairs: readonly MergePair[]): void {
    this.pairs = pairs;
    for (const p of pairs) this.leftOf.set(p.right.rangeId, p.left);
  }

  get mergePairs(): readonly MergePair[] {
    return this.pairs;
  }

  /** The left neighbour `r` is being made to match, when `r` is the right of a merge pair. */
  mergeLeftOf(r: PlannedRange): PlannedRange | undefined {
    return this.leftOf.get(r.rangeId);
  }

  isPaired(r: PlannedRange): boolean {
    return this.pairs.some((p) => p.left.rangeId === r.rangeId || p.right.rangeId === r.rangeId);
  }

  // --- Choosing nodes ----------------------------------------------------

  /**
   * The best healthy node without a replica of `r` to hold a new one, given
   * the replicas that stay (`staying`): the most diverse result, then the
   * node with the fewest replicas, then the lowest id.
   */
  pickAddTarget(r: PlannedRange, staying: readonly NodeId[]): NodeId | undefined {
    let best: { id: NodeId; score: DiversityScore; count: number } | undefined;
    for (const id of this.healthy) {
      if (r.voters.includes(id) || r.learners.includes(id)) continue;
      const cand = { id, score: this.diversity([...staying, id]), count: this.replicaCount(id) };
      if (best === undefined) {
        best = cand;
        continue;
      }
      const d = compareDiversity(cand.score, best.score);
      if (d > 0 || (d === 0 && cand.count < best.count)) best = cand;
    }
    return best?.id;
  }

  /**
   * The voter of `r` other than `from` to lead it: healthy, in the preferred
   * locality when one is, with the fewest leaders, then the lowest id. None
   * while the range has no live quorum: no leader could take over.
   */
  pickLeaderTarget(r: PlannedRange, from: NodeId): NodeId | undefined {
    if (!this.keepsQuorum(r.voters, r.voters)) return undefined;
    const candidates = r.voters.filter((id) => id !== from && this.isHealthy(id));
    candidates.sort(
      (a, b) =>
        Number(this.prefersAsLeader(b)) - Number(this.prefersAsLeader(a)) ||
        this.leaderCount(a) - this.leaderCount(b) ||
        a - b,
    );
    return candidates[0];
  }

  // --- Deciding ----------------------------------------------------------

  isClaimed(id: RangeId): boolean {
    return this.claimed.has(id);
  }

  /**
   * Decides `action` for its ranges. It is planned when its family's budget
   * has room; either way its ranges are decided for this plan, so a range
   * whose most urgent need must wait gets nothing less urgent instead.
   * `relieves` names the node a rebalancing add is meant to take a replica
   * from (removed in a later plan), for the projected counts.
   */
  offer(action: PlannedAction, relieves?: NodeId): boolean {
    const ids = rangesOf(action);
    for (const id of ids) {
      assert(!this.claimed.has(id), `range ${id} got a second action in one plan`);
      this.claimed.add(id);
    }
    const family = familyOf(action);
    if (this.budget[family] === 0) return false;
    this.budget[family] -= 1;
    this.actions.push(action);
    this.project(action, relieves);
    return true;
  }

  hasBudget(family: ActionFamily): boolean {
    return this.budget[family] > 0;
  }

  private project(action: PlannedAction, relieves: NodeId | undefined): void {
    if (action.kind === "add-voter") {
      const r = this.byId.get(action.rangeId);
      if (r !== undefined && !r.learners.includes(action.nodeId)) {
        this.bump(this.replicas, action.nodeId, 1);
      }
      if (relieves !== undefined) this.bump(this.replicas, relieves, -1);
    } else if (action.kind === "remove") {
      this.bump(this.replicas, action.nodeId, -1);
    } else if (action.kind === "transfer-leader") {
      const r = this.byId.get(action.rangeId);
      if (r !== undefined && r.leaderId !== 0) this.bump(this.leaders, r.leaderId, -1);
      this.bump(this.leaders, action.to, 1);
    }
  }

  private leaderCandidates(): NodeId[] {
    const preferred = this.healthy.filter((id) => this.prefersAsLeader(id));
    return preferred.length > 0 ? preferred : [...this.healthy];
  }

  private mean(ids: readonly NodeId[], counts: ReadonlyMap<NodeId, number>): number {
    if (ids.length === 0) return 0;
    let sum = 0;
    for (const id of ids) sum += counts.get(id) ?? 0;
    return sum / ids.length;
  }

  private bump(map: Map<NodeId, number>, id: NodeId, by: number): void {
    map.set(id, (map.get(id) ?? 0) + by);
  }
}

function normalise(r: PlannedRange): PlannedRange {
  const voters = [...new Set(r.voters)].sort((a, b) => a - b);
  const learners = [...new Set(r.learners)]
    .filter((id) => !voters.includes(id))
    .sort((a, b) => a - b);
  const leaderId = r.leaderId !== 0 && voters.includes(r.leaderId) ? r.leaderId : 0;
  return { ...r, voters, learners, leaderId };
}

/** `ids` without `id`. */
export function without(ids: readonly NodeId[], id: NodeId): NodeId[] {
  return ids.filter((x) => x !== id);
}
