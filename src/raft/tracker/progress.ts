/**
 * A leader's view of one follower's log (etcd-io/raft tracker/progress.go;
 * paper §5.3 nextIndex/matchIndex, and flow control beyond the paper).
 *
 * States: "probe" sends one append per heartbeat interval until the match
 * point is found; "replicate" streams appends optimistically, bounded by the
 * inflights; "snapshot" waits for a snapshot to be applied and sends nothing.
 *
 * Invariant (asserted): match < next.
 */
import { assert, type LogIndex, logIndex, unreachable } from "../../lib/index.js";
import type { Inflights } from "./inflights.js";

export type ProgressState = "probe" | "replicate" | "snapshot";

export class Progress {
  match: LogIndex;
  next: LogIndex;
  state: ProgressState = "probe";
  /** In snapshot state, the index of the snapshot being sent. */
  pendingSnapshot: LogIndex = logIndex(0);
  /** Heard from recently (reset by CheckQuorum every election timeout). */
  recentActive: boolean;
  /**
   * The leader's tick count (Raft.ticks) when this member's last answer
   * arrived: the leader's lease rests on how recently a quorum answered
   * (Raft.leaseHolds). -Infinity: not since this leader's term (or its wake).
   */
  heardAtTick = Number.NEGATIVE_INFINITY;
  /** An append was sent since the leader's last heartbeat round (Config.skipHeartbeatsWhileAppending). */
  appendedSinceBeat = false;
  /** In probe state, an append has been sent and no reply came yet: wait for one. */
  msgAppFlowPaused = false;
  inflights: Inflights;
  isLearner: boolean;

  constructor(init: {
    match: LogIndex;
    next: LogIndex;
    inflights: Inflights;
    isLearner: boolean;
    recentActive?: boolean;
  }) {
    this.match = init.match;
    this.next = init.next;
    this.inflights = init.inflights;
    this.isLearner = init.isLearner;
    this.recentActive = init.recentActive ?? false;
    this.checkInvariant();
  }

  clone(): Progress {
    const p = new Progress({
      match: this.match,
      next: this.next,
      inflights: this.inflights.clone(),
      isLearner: this.isLearner,
      recentActive: this.recentActive,
    });
    p.state = this.state;
    p.pendingSnapshot = this.pendingSnapshot;
    p.msgAppFlowPaused = this.msgAppFlowPaused;
    p.heardAtTick = this.heardAtTick;
    p.appendedSinceBeat = this.appendedSinceBeat;
    return p;
  }

  private checkInvariant(): void {
    if (this.match >= this.next)
      unreachable(`progress match ${this.match} must be < next ${this.next}`);
  }

  private resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = logIndex(0);
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    // After a snapshot, probe from the snapshot on: the follower has it (or will ask again).
    if (this.state === "snapshot") {
      const pending = this.pendingSnapshot;
      this.resetState("probe");
      this.next = logIndex(Math.max(this.match + 1, pending + 1));
    } else {
      this.resetState("probe");
      this.next = logIndex(this.match + 1);
    }
    this.checkInvariant();
  }

  becomeReplicate(): void {
    this.resetState("replicate");
    this.next = logIndex(this.match + 1);
  }

  becomeSnapshot(snapshotIndex: LogIndex): void {
    this.resetState("snapshot");
    this.pendingSnapshot = snapshotIndex;
    this.next = logIndex(Math.max(this.match + 1, snapshotIndex + 1));
  }

  /** Records that an append of `entries` entries and `bytes` bytes was sent. */
  sentEntries(entries: number, bytes: number): void {
    switch (this.state) {
      case "replicate":
        if (entries > 0) {
          this.next = logIndex(this.next + entries);
          this.inflights.add(logIndex(this.next - 1), bytes);
        }
        this.msgAppFlowPaused = this.inflights.full();
        break;
      case "probe":
        // One probe per heartbeat interval; a heartbeat response unpauses.
        this.msgAppFlowPaused = true;
        break;
      case "snapshot":
        assert(false, `sending append to a progress in snapshot state`);
    }
  }

  /** The follower acknowledged `n`; returns whether that was news. */
  maybeUpdate(n: LogIndex): boolean {
    if (n <= this.match) return false;
    this.match = n;
    this.next = logIndex(Math.max(this.next, n + 1));
    this.msgAppFlowPaused = false;
    this.checkInvariant();
    return true;
  }

  /**
   * The follower rejected an append at `rejected`, hinting its log matches at
   * most up to `matchHint`. Returns false if the rejection is stale.
   */
  maybeDecrTo(rejected: LogIndex, matchHint: LogIndex): boolean {
    if (this.state === "replicate") {
      // A rejection at or below match is stale (it answers an older append).
      if (rejected <= this.match) return false;
      this.next = logIndex(this.match + 1);
      return true;
    }
    // In probe state only the reply to the last probe counts.
    if (this.next - 1 !== rejected) return false;
    if (rejected === this.match && matchHint < this.match) {
      // The follower refuses the very entry it acknowledged: it lost its log.
      // Raft never does, but a node id is reused: a replica destroyed on its
      // removal comes back empty when its node is added again, and the
      // earlier replica's acknowledgements may arrive after that. Nothing is
      // known to match any more; probing from the hint on (down to a
      // snapshot if need be) brings the follower up. Lowering match is safe:
      // the commit index never moves back.
      this.match = logIndex(0);
    }
    this.next = logIndex(Math.max(Math.min(rejected, matchHint + 1), this.match + 1));
    this.msgAppFlowPaused = false;
    this.checkInvariant();
    return true;
  }

  /** Whether sending appends to this follower must wait. */
  isPaused(): boolean {
    switch (this.state) {
      case "probe":
        return this.msgAppFlowPaused;
      case "replicate":
        return this.msgAppFlowPaused;
      case "snapshot":
        return true;
    }
  }

  toString(): string {
    let s = `${this.state} match=${this.match} next=${this.next}`;
    if (this.isLearner) s += " learner";
    if (this.isPaused()) s += " paused";
    if (this.pendingSnapshot > 0) s += ` pendingSnap=${this.pendingSnapshot}`;
    if (!this.recentActive) s += " inactive";
    if (this.inflights.count > 0) s += ` inflight=${this.inflights.count}`;
    if (this.inflights.full()) s += "[full]";
    return s;
  }
}
