/**
 * The leader's (and candidate's) bookkeeping over the whole configuration:
 * the active membership, one `Progress` per member, and the votes of the
 * current election (etcd-io/raft tracker/tracker.go; paper §5.2, §6).
 *
 * Invariants (checked by the changer): voters and learners are disjoint;
 * every member has a progress; learnersNext ⊆ outgoing voters; outside a joint
 * configuration there are no outgoing voters, no learnersNext and no autoLeave.
 */
import type { LogIndex, NodeId } from "../../lib/index.js";
import { JointConfig } from "../quorum/joint-config.js";
import type { VoteResult } from "../quorum/vote-result.js";
import type { ConfState } from "../types.js";
import type { Progress } from "./progress.js";

export interface TrackerConfig {
  readonly voters: JointConfig;
  /** Leave the joint configuration automatically once it is committed. */
  readonly autoLeave: boolean;
  readonly learners: ReadonlySet<NodeId>;
  /** Outgoing voters that become learners when the joint configuration is left. */
  readonly learnersNext: ReadonlySet<NodeId>;
}

export type ProgressMap = Map<NodeId, Progress>;

export function emptyTrackerConfig(): TrackerConfig {
  return {
    voters: new JointConfig(),
    autoLeave: false,
    learners: new Set(),
    learnersNext: new Set(),
  };
}

export function describeTrackerConfig(c: TrackerConfig): string {
  let s = `voters=${c.voters}`;
  if (c.learners.size > 0) s += ` learners=(${sorted(c.learners).join(" ")})`;
  if (c.learnersNext.size > 0) s += ` learners_next=(${sorted(c.learnersNext).join(" ")})`;
  if (c.autoLeave) s += " autoleave";
  return s;
}

function sorted(ids: Iterable<NodeId>): NodeId[] {
  return [...ids].sort((a, b) => a - b);
}

export class ProgressTracker {
  config: TrackerConfig = emptyTrackerConfig();
  progress: ProgressMap = new Map();
  private idOrder: readonly NodeId[] = [];
  votes = new Map<NodeId, boolean>();

  constructor(
    readonly maxInflight: number,
    readonly maxInflightBytes: number,
  ) {}

  confState(): ConfState {
    return {
      voters: this.config.voters.incoming.slice(),
      votersOutgoing: this.config.voters.outgoing.slice(),
      learners: sorted(this.config.learners),
      learnersNext: sorted(this.config.learnersNext),
      autoLeave: this.config.autoLeave,
    };
  }

  isSingleton(): boolean {
    return this.config.voters.incoming.size === 1 && this.config.voters.outgoing.size === 0;
  }

  /** The largest index committed by the configuration's quorum(s). */
  committed(): LogIndex {
    return this.config.voters.committedIndex((id) => this.progress.get(id)?.match);
  }

  /** Visits every progress in ascending id order, so effects are deterministic. */
  visit(f: (id: NodeId, pr: Progress) => void): void {
    for (const id of this.sortedIds()) f(id, this.progress.get(id)!);
  }

  /**
   * The ids of `progress` ascending. `progress` is replaced or edited in place
   * by configuration changes, so the cached order is checked against it on
   * every call: same size and every cached id present means the same key set.
   * That check allocates nothing; a visit runs on every append response.
   */
  private sortedIds(): readonly NodeId[] {
    const cached = this.idOrder;
    if (cached.length === this.progress.size) {
      let same = true;
      for (const id of cached) {
        if (!this.progress.has(id)) {
          same = false;
          break;
        }
      }
      if (same) return cached;
    }
    this.idOrder = sorted(this.progress.keys());
    return this.idOrder;
  }

  /** Whether a quorum has been recently active (CheckQuorum). */
  quorumActive(): boolean {
    const votes = new Map<NodeId, boolean>();
    this.visit((id, pr) => {
      if (!pr.isLearner) votes.set(id, pr.recentActive);
    });
    return this.config.voters.voteResult(votes) === "won";
  }

  /**
   * Whether a quorum of voters answered within the last `window` ticks
   * (`now - heardAtTick < window`); `self` counts as always heard (the lease).
   */
  quorumHeardWithin(self: NodeId, now: number, window: number): boolean {
    // Asked on every lease read: counted in place, allocating nothing.
    const voters = this.config.voters;
    return (
      this.majorityHeardWithin(voters.incoming.ids, self, now, window) &&
      this.majorityHeardWithin(voters.outgoing.ids, self, now, window)
    );
  }

  /** Whether a majority of `ids` (all of an empty set) counts as heard for quorumHeardWithin. */
  private majorityHeardWithin(
    ids: ReadonlySet<NodeId>,
    self: NodeId,
    now: number,
    window: number,
  ): boolean {
    if (ids.size === 0) return true;
    let heard = 0;
    for (const id of ids) {
      const pr = this.progress.get(id);
      if (pr === undefined || pr.isLearner) continue;
      if (id === self || now - pr.heardAtTick < window) heard++;
    }
    return heard >= Math.floor(ids.size / 2) + 1;
  }

  voterNodes(): NodeId[] {
    return this.config.voters.ids();
  }

  learnerNodes(): NodeId[] {
    return sorted(this.config.learners);
  }

  resetVotes(): void {
    this.votes = new Map();
  }

  /** Records `id`'s vote; only the first vote of a node in an election counts. */
  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const [id, pr] of this.progress) {
      if (pr.isLearner) continue;
      const v = this.votes.get(id);
      if (v === undefined) continue;
      if (v) granted++;
      else rejected++;
    }
    return { granted, rejected, result: this.config.voters.voteResult(this.votes) };
  }
}
